package dev.courier.tck.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.tck.internal.TckReport.RuleResult;
import dev.courier.tck.internal.TckReport.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("The TCK compatibility report")
class TckReportTest {
  @Test
  @DisplayName("escapes quotes, backslashes and control characters in JSON strings")
  void escapesJson() {
    assertEquals("\"a\\\"b\\\\c\\nd\\u0001\\t\"", TckReport.quote("a\"b\\c\nd\u0001\t"));
    assertEquals("\"日本 ✓\"", TckReport.quote("日本 ✓"));
  }

  @Test
  @DisplayName("orders rules by their numeric id, so TCK-2.10 follows TCK-2.9")
  void ordersIds() {
    TckReport report = new TckReport();
    report.add(new RuleResult("TCK-2.10", "ten", Status.PASSED, "", 1));
    report.add(new RuleResult("TCK-10.1", "x", Status.SKIPPED, "no", 1));
    report.add(new RuleResult("TCK-2.9", "nine", Status.FAILED, "boom", 1));
    assertEquals(List.of("TCK-2.9", "TCK-2.10", "TCK-10.1"), report.rules().stream().map(RuleResult::id).toList());
  }

  @Test
  @DisplayName("writes <adapter>.json and a Markdown table beside it")
  void writesFiles(@TempDir Path dir) throws Exception {
    TckReport report = new TckReport();
    report.describe("my-adapter", List.of("FAN_OUT"), false);
    report.describe("ignored", List.of(), true);
    report.add(new RuleResult("TCK-1.1", "a | b", Status.FAILED, "line1\nline2 \"q\"", 12));
    report.addDuplicates("TCK-1.1", 3);
    report.observeInFlight("TCK-1.1", 5, 4);
    report.write(dir);
    String json = Files.readString(dir.resolve("my-adapter.json"));
    assertTrue(json.contains("\"adapter\": \"my-adapter\""), json);
    assertTrue(json.contains("\"capabilities\": [\"FAN_OUT\"]"), json);
    assertTrue(json.contains("\"emulator\": false"), json);
    assertTrue(json.contains("{\"id\": \"TCK-1.1\", \"title\": \"a | b\", \"status\": \"FAILED\", "
        + "\"reason\": \"line1\\nline2 \\\"q\\\"\", \"millis\": 12, \"duplicates\": 3, \"inFlightPeak\": 5, "
        + "\"maxInFlight\": 4}"), json);
    assertTrue(json.contains("\"duplicates\": 3"), json);
    String md = Files.readString(dir.resolve("my-adapter.md"));
    assertTrue(md.contains("| TCK-1.1 | a \\| b | FAILED | line1 line2 \"q\" | 12 | 3 | 5 / 4 |"), md);
    assertTrue(md.contains("0 passed, 1 failed, 0 skipped; duplicates seen: 3"), md);
    assertFalse(md.contains("emulator"), md);
  }

  @Test
  @DisplayName("records that the broker is an emulator, in the JSON and the Markdown")
  void recordsEmulator(@TempDir Path dir) throws Exception {
    TckReport report = new TckReport();
    report.describe("gcp-pubsub", List.of("FAN_OUT"), true);
    report.add(new RuleResult("TCK-1.1", "a", Status.PASSED, "", 1));
    report.write(dir);
    assertTrue(Files.readString(dir.resolve("gcp-pubsub.json")).contains("\"emulator\": true"));
    assertTrue(Files.readString(dir.resolve("gcp-pubsub.md")).contains("Broker: an emulator, not the real service"));
  }
}
