package dev.courier.bench.driver;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The line protocol between the harness and a side in its own JVM (the peer): the child prints
 * {@code ready}, then answers each command with one line, {@code ok k=v k=v…} or {@code error …}.
 * Commands: {@code round MESSAGES} ({@link Workload#round}), {@code latency RATE SECONDS}
 * ({@link Workload#fixedRate}), {@code quit}. The child keeps running between commands, so it
 * stays warm and its rounds alternate with the parent's.
 */
public final class PeerProtocol {
  private PeerProtocol() {}

  /** The child's loop, on its standard input and its protocol output; returns on {@code quit} or end of input. */
  public static void serve(Endpoint endpoint, Workload.Settings settings, BufferedReader in, PrintStream out)
      throws IOException {
    out.println("ready");
    out.flush();
    for (String line; (line = in.readLine()) != null; ) {
      String[] words = line.trim().split("\\s+");
      try {
        switch (words[0]) {
          case "quit" -> {
            return;
          }
          case "round" -> out.println("ok " + encode(Workload.round(endpoint, settings, Integer.parseInt(words[1]))));
          case "latency" -> out.println("ok " + encode(Workload.fixedRate(endpoint, settings,
              Integer.parseInt(words[1]), Integer.parseInt(words[2]))));
          default -> out.println("error unknown command: " + line);
        }
      } catch (Exception e) {
        e.printStackTrace();
        out.println("error " + String.valueOf(e).replace('\n', ' '));
      }
      out.flush();
    }
  }

  public static String encode(Map<String, Double> values) {
    StringBuilder b = new StringBuilder();
    values.forEach((k, v) -> b.append(b.length() == 0 ? "" : " ").append(k).append('=')
        .append(String.format(Locale.ROOT, "%.3f", v)));
    return b.toString();
  }

  /** The values of an {@code ok} line; an {@code error} line throws with the child's message. */
  public static Map<String, Double> decode(String line) {
    if (line == null) {
      throw new IllegalStateException("the peer process ended without an answer");
    }
    if (!line.startsWith("ok")) {
      throw new IllegalStateException("peer: " + line);
    }
    Map<String, Double> values = new LinkedHashMap<>();
    for (String pair : line.substring(2).trim().split("\\s+")) {
      if (!pair.isEmpty()) {
        int eq = pair.indexOf('=');
        values.put(pair.substring(0, eq), Double.parseDouble(pair.substring(eq + 1)));
      }
    }
    return values;
  }
}
