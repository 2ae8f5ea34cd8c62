package dev.courier.tck;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Assembles the compatibility matrix (rules × adapters) from the TCK reports that adapter modules
 * wrote to {@code <module>/target/courier-tck/<adapter>.json}. Usage:
 * {@code CompatibilityMatrix <project root> <output.md>}; run by {@code tck/matrix}.
 */
public final class CompatibilityMatrix {
  private CompatibilityMatrix() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      System.err.println("usage: CompatibilityMatrix <project root> <output.md>");
      System.exit(2);
    }
    Path root = Path.of(args[0]);
    List<Path> reports;
    try (Stream<Path> files = Files.walk(root, 4)) {
      reports = files.filter(p -> p.getParent() != null && p.getParent().endsWith(Path.of("target", "courier-tck"))
              && p.getFileName().toString().endsWith(".json"))
          .sorted().toList();
    }
    if (reports.isEmpty()) {
      System.err.println("no TCK reports under " + root + "/*/target/courier-tck: run mvn verify first");
      System.exit(1);
    }
    ObjectMapper mapper = new ObjectMapper();
    Map<String, JsonNode> byAdapter = new TreeMap<>();
    for (Path p : reports) {
      JsonNode report = mapper.readTree(p.toFile());
      byAdapter.put(report.path("adapter").asText(p.getFileName().toString()), report);
    }
    String md = render(byAdapter);
    Path out = Path.of(args[1]);
    if (out.getParent() != null) {
      Files.createDirectories(out.getParent());
    }
    Files.writeString(out, md, StandardCharsets.UTF_8);
    System.out.println("wrote " + out + " from " + reports.size() + " report(s): " + byAdapter.keySet());
  }

  /** The matrix in Markdown, from each adapter's report (as written by the TCK), keyed by adapter name. */
  static String render(Map<String, JsonNode> byAdapter) {
    Map<String, String> titles = new LinkedHashMap<>();
    Map<String, Map<String, String>> cells = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : byAdapter.entrySet()) {
      for (JsonNode rule : e.getValue().path("rules")) {
        String id = rule.path("id").asText();
        titles.putIfAbsent(id, rule.path("title").asText());
        cells.computeIfAbsent(id, k -> new LinkedHashMap<>()).put(e.getKey(), cell(rule));
      }
    }
    List<String> ids = new ArrayList<>(titles.keySet());
    ids.sort(CompatibilityMatrix::compareIds);
    boolean anyEmulator = byAdapter.values().stream().anyMatch(r -> r.path("emulator").asBoolean(false));
    StringBuilder md = new StringBuilder();
    md.append("# Courier compatibility matrix\n\n")
        .append("Assembled by `tck/matrix` from the TCK reports each adapter module writes during `mvn verify`. ")
        .append("PASSED: the rule held against the broker the adapter's fixture ran, the real one unless the column ")
        .append("says (emulator); skipped: the adapter does not claim what the rule checks ")
        .append("(the reason is in the adapter's own report).\n\n");
    md.append("| adapter | capabilities | passed | failed | skipped | duplicates seen |\n|---|---|---:|---:|---:|---:|\n");
    for (Map.Entry<String, JsonNode> e : byAdapter.entrySet()) {
      int passed = 0;
      int failed = 0;
      int skipped = 0;
      for (JsonNode rule : e.getValue().path("rules")) {
        switch (rule.path("status").asText()) {
          case "PASSED" -> passed++;
          case "FAILED" -> failed++;
          default -> skipped++;
        }
      }
      List<String> caps = new ArrayList<>();
      e.getValue().path("capabilities").forEach(c -> caps.add(c.asText()));
      md.append("| ").append(column(e)).append(" | ").append(String.join(", ", caps)).append(" | ")
          .append(passed).append(" | ").append(failed).append(" | ").append(skipped).append(" | ")
          .append(e.getValue().path("duplicates").asLong()).append(" |\n");
    }
    md.append("\n| rule | ");
    byAdapter.entrySet().forEach(e -> md.append(column(e)).append(" | "));
    md.append("\n|---|");
    byAdapter.keySet().forEach(a -> md.append(":---:|"));
    md.append('\n');
    for (String id : ids) {
      md.append("| ").append(id).append(' ').append(titles.get(id).replace("|", "\\|")).append(" | ");
      for (String adapter : byAdapter.keySet()) {
        md.append(cells.get(id).getOrDefault(adapter, "—")).append(" | ");
      }
      md.append('\n');
    }
    if (anyEmulator) {
      md.append("\n(emulator): the fixture ran against the vendor's emulator, not the cloud service. A PASSED ")
          .append("there shows the adapter keeps the rule with the emulator; it is no guarantee of the real ")
          .append("service, whose limits, timing and redelivery can differ.\n");
    }
    return md.toString();
  }

  private static String column(Map.Entry<String, JsonNode> adapter) {
    return adapter.getKey() + (adapter.getValue().path("emulator").asBoolean(false) ? " (emulator)" : "");
  }

  private static String cell(JsonNode rule) {
    return switch (rule.path("status").asText()) {
      case "PASSED" -> "PASSED";
      case "FAILED" -> "**FAILED**";
      default -> "skipped";
    };
  }

  private static int compareIds(String a, String b) {
    String[] x = a.replace("TCK-", "").split("\\.");
    String[] y = b.replace("TCK-", "").split("\\.");
    for (int i = 0; i < Math.min(x.length, y.length); i++) {
      int c = Integer.compare(parse(x[i]), parse(y[i]));
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(x.length, y.length);
  }

  private static int parse(String s) {
    try {
      return Integer.parseInt(s);
    } catch (NumberFormatException e) {
      return Integer.MAX_VALUE;
    }
  }
}
