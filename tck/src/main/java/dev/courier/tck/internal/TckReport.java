package dev.courier.tck.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The compatibility report of one TCK run: which adapter, what it declares, each rule's outcome
 * and the duplicates seen. Written as {@code <adapter>.json} and {@code <adapter>.md}. Thread-safe.
 */
public final class TckReport {
  /** A rule's outcome. */
  public enum Status { PASSED, FAILED, SKIPPED }

  /** One rule's result; {@code reason} is empty for a pass. */
  public record RuleResult(String id, String title, Status status, String reason, long millis) {}

  /** What a rule observed beside its outcome: duplicates, and the most unsettled deliveries at once vs maxInFlight. */
  public record Observed(long duplicates, int inFlightPeak, int inFlightLimit) {
    static final Observed NONE = new Observed(0, 0, 0);
  }

  private final List<RuleResult> rules = new ArrayList<>();
  private final Map<String, Observed> observed = new HashMap<>();
  private final AtomicLong duplicates = new AtomicLong();
  private String adapter;
  private List<String> capabilities = List.of();
  private boolean emulator;

  /** Records the adapter under test and whether its broker is an emulator; the first call wins. */
  public synchronized void describe(String adapterName, List<String> declaredCapabilities, boolean onEmulator) {
    if (adapter == null) {
      adapter = adapterName;
      capabilities = List.copyOf(declaredCapabilities);
      emulator = onEmulator;
    }
  }

  public synchronized String adapter() {
    return adapter == null ? "unknown-adapter" : adapter;
  }

  public synchronized void add(RuleResult result) {
    rules.add(result);
  }

  /** Counts redundant deliveries observed by a rule (at-least-once allows them; the report shows them). */
  public synchronized void addDuplicates(String ruleId, long n) {
    duplicates.addAndGet(n);
    Observed o = observed(ruleId);
    observed.put(ruleId, new Observed(o.duplicates() + n, o.inFlightPeak(), o.inFlightLimit()));
  }

  /** Records the subscription of a rule that came closest to (or past) its maxInFlight. */
  public synchronized void observeInFlight(String ruleId, int peak, int limit) {
    Observed o = observed(ruleId);
    observed.put(ruleId, new Observed(o.duplicates(), peak, limit));
  }

  public synchronized Observed observed(String ruleId) {
    return observed.getOrDefault(ruleId, Observed.NONE);
  }

  public long duplicates() {
    return duplicates.get();
  }

  public synchronized List<RuleResult> rules() {
    List<RuleResult> sorted = new ArrayList<>(rules);
    sorted.sort(Comparator.comparing(RuleResult::id, TckReport::compareIds));
    return sorted;
  }

  /** Writes {@code <adapter>.json} and {@code <adapter>.md} into {@code dir}; returns the JSON file. */
  public Path write(Path dir) {
    String name = adapter().replaceAll("[^A-Za-z0-9._-]", "_");
    try {
      Files.createDirectories(dir);
      Path json = dir.resolve(name + ".json");
      Files.writeString(json, toJson(), StandardCharsets.UTF_8);
      Files.writeString(dir.resolve(name + ".md"), toMarkdown(), StandardCharsets.UTF_8);
      return json;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the TCK report to " + dir, e);
    }
  }

  public synchronized String toJson() {
    StringBuilder out = new StringBuilder(4096);
    out.append("{\n  \"adapter\": ").append(quote(adapter())).append(",\n  \"capabilities\": [");
    for (int i = 0; i < capabilities.size(); i++) {
      out.append(i == 0 ? "" : ", ").append(quote(capabilities.get(i)));
    }
    out.append("],\n  \"emulator\": ").append(emulator).append(",\n  \"rules\": [");
    List<RuleResult> sorted = rules();
    for (int i = 0; i < sorted.size(); i++) {
      RuleResult r = sorted.get(i);
      out.append(i == 0 ? "\n" : ",\n")
          .append("    {\"id\": ").append(quote(r.id()))
          .append(", \"title\": ").append(quote(r.title()))
          .append(", \"status\": ").append(quote(r.status().name()))
          .append(", \"reason\": ").append(quote(r.reason()))
          .append(", \"millis\": ").append(r.millis())
          .append(", \"duplicates\": ").append(observed(r.id()).duplicates())
          .append(", \"inFlightPeak\": ").append(observed(r.id()).inFlightPeak())
          .append(", \"maxInFlight\": ").append(observed(r.id()).inFlightLimit()).append('}');
    }
    out.append(sorted.isEmpty() ? "]" : "\n  ]");
    out.append(",\n  \"duplicates\": ").append(duplicates()).append("\n}\n");
    return out.toString();
  }

  public synchronized String toMarkdown() {
    List<RuleResult> sorted = rules();
    long passed = sorted.stream().filter(r -> r.status() == Status.PASSED).count();
    long failed = sorted.stream().filter(r -> r.status() == Status.FAILED).count();
    long skipped = sorted.size() - passed - failed;
    StringBuilder out = new StringBuilder(4096);
    out.append("# Courier TCK report: ").append(adapter()).append("\n\n")
        .append("Capabilities: ").append(capabilities.isEmpty() ? "none" : String.join(", ", capabilities))
        .append("  \n")
        .append(emulator ? "Broker: an emulator, not the real service  \n" : "")
        .append(String.format(Locale.ROOT, "Rules: %d passed, %d failed, %d skipped; duplicates seen: %d%n%n",
            passed, failed, skipped, duplicates()))
        .append("| Rule | Title | Status | Reason | ms | duplicates | in flight / max |\n")
        .append("|---|---|---|---|---:|---:|---:|\n");
    for (RuleResult r : sorted) {
      Observed o = observed(r.id());
      out.append("| ").append(cell(r.id())).append(" | ").append(cell(r.title())).append(" | ")
          .append(r.status()).append(" | ").append(cell(r.reason())).append(" | ")
          .append(r.millis()).append(" | ").append(o.duplicates()).append(" | ")
          .append(o.inFlightLimit() == 0 ? "" : o.inFlightPeak() + " / " + o.inFlightLimit()).append(" |\n");
    }
    return out.toString();
  }

  /** A JSON string literal: quotes, backslashes and every control character escaped. */
  static String quote(String s) {
    if (s == null) {
      return "null";
    }
    StringBuilder out = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20 || c == '\u2028' || c == '\u2029') {
            out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }

  private static String cell(String s) {
    return s.replace("\\", "\\\\").replace("|", "\\|").replaceAll("[\\r\\n]+", " ");
  }

  /** Orders "TCK-2.10" after "TCK-2.9". */
  static int compareIds(String a, String b) {
    String[] x = a.split("[^0-9]+");
    String[] y = b.split("[^0-9]+");
    for (int i = 0; i < Math.min(x.length, y.length); i++) {
      if (x[i].isEmpty() || y[i].isEmpty()) {
        continue;
      }
      int c = Long.compare(Long.parseLong(x[i]), Long.parseLong(y[i]));
      if (c != 0) {
        return c;
      }
    }
    return a.compareTo(b);
  }
}
