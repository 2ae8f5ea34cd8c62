package dev.courier.bench;

import dev.courier.bench.driver.PeerProtocol;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The peer (Spring Cloud Stream, {@code benchmarks/peer-scs}) as a side: a child JVM on its own
 * class path (never Courier's), started once and kept running; each round is a command on its
 * standard input, answered on its standard output ({@link PeerProtocol}). Its log goes to ours.
 */
final class PeerSide implements Harness.Side {
  /** The peer's class path, written by {@code benchmarks/run}. */
  static final String CLASSPATH_PROPERTY = "bench.peer.classpath";

  private final Process process;
  private final PrintStream commands;
  private final BufferedReader answers;

  private PeerSide(Process process) {
    this.process = process;
    this.commands = new PrintStream(process.getOutputStream(), true, StandardCharsets.UTF_8);
    this.answers = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
  }

  /** Starts the peer with {@code args} ({@code key=value}, see its {@code PeerMain}) and waits until it is ready. */
  static PeerSide start(String... args) throws IOException {
    String classpath = System.getProperty(CLASSPATH_PROPERTY);
    if (classpath == null || classpath.isBlank()) {
      throw new IllegalStateException("-D" + CLASSPATH_PROPERTY + " is not set: run through benchmarks/run, which builds"
          + " benchmarks/peer-scs");
    }
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xms512m", "-Xmx512m", "-XX:+UseParallelGC", "-cp", classpath, "dev.courier.bench.peer.PeerMain"));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    PeerSide peer = new PeerSide(process);
    String first = peer.answers.readLine();
    if (!"ready".equals(first)) {
      process.destroyForcibly();
      throw new IllegalStateException("the peer did not start (it said " + first + "; its log is above)");
    }
    return peer;
  }

  @Override
  public Map<String, Double> round(int messages) throws IOException {
    commands.println("round " + messages);
    return PeerProtocol.decode(answers.readLine());
  }

  @Override
  public Map<String, Double> latency(int rate, int seconds) throws IOException {
    commands.println("latency " + rate + " " + seconds);
    return PeerProtocol.decode(answers.readLine());
  }

  @Override
  public void close() throws InterruptedException {
    commands.println("quit");
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroy();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
