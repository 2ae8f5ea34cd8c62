package dev.courier.testsupport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Why a private RabbitMQ node did not start, from what it left behind: the output of
 * {@code rabbitmqctl wait}, the node's console output, and only what its log files gained during
 * that start (the files keep every earlier boot, whose last lines say nothing about this one).
 */
final class RabbitMqBootReport {
  private RabbitMqBootReport() {}

  /** The sizes of the log files in {@code logDir} now, to show later only what a boot added. */
  static Map<Path, Long> logSizes(Path logDir) {
    Map<Path, Long> sizes = new HashMap<>();
    try (var files = Files.list(logDir)) {
      for (Path f : files.toList()) {
        sizes.put(f, Files.size(f));
      }
    } catch (IOException e) {
      // no log directory yet: every log line is new
    }
    return sizes;
  }

  /** The report: the three sources, each cut to a readable size. */
  static String of(Path waitOutput, Path console, Path logDir, Map<Path, Long> logMarks) {
    return "--- 'rabbitmqctl wait' said:\n" + tail(read(waitOutput), 1_500)
        + "\n--- the node's console output (" + console + "):\n" + excerpt(read(console))
        + "\n--- the node's log since this start:\n" + logSince(logDir, logMarks);
  }

  /** What the log files gained since {@code marks}, at most the last 4000 characters. */
  static String logSince(Path logDir, Map<Path, Long> marks) {
    StringBuilder sb = new StringBuilder();
    try (var files = Files.list(logDir)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".log")).sorted().toList()) {
        byte[] all = Files.readAllBytes(f);
        int from = (int) Math.min(all.length, marks.getOrDefault(f, 0L));
        if (from < all.length) {
          sb.append('[').append(f.getFileName()).append("]\n")
              .append(new String(all, from, all.length - from, StandardCharsets.UTF_8));
        }
      }
    } catch (IOException e) {
      sb.append("(cannot read the logs: ").append(e).append(')');
    }
    return sb.length() == 0 ? "(nothing: the node did not reach the point where it opens its log)"
        : tail(sb.toString(), 4_000);
  }

  /**
   * A failed boot's console output ends in a long crash report that buries its cause: the lines
   * that report errors (up to 25), then the last 15 lines.
   */
  static String excerpt(String text) {
    List<String> lines = text.lines().toList();
    if (lines.size() <= 40) {
      return text;
    }
    List<String> errors = lines.stream().filter(l -> l.toLowerCase(Locale.ROOT).contains("error")).limit(25).toList();
    return String.join("\n", errors) + "\n[...]\n" + String.join("\n", lines.subList(lines.size() - 15, lines.size()));
  }

  static String tail(String s, int chars) {
    return s.length() <= chars ? s : "[...]" + s.substring(s.length() - chars);
  }

  static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e + ")";
    }
  }
}
