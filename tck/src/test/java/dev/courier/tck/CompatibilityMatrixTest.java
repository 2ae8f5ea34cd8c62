package dev.courier.tck;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.courier.tck.internal.TckReport;
import dev.courier.tck.internal.TckReport.RuleResult;
import dev.courier.tck.internal.TckReport.Status;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The compatibility matrix")
class CompatibilityMatrixTest {
  private static JsonNode report(String adapter, boolean emulator) throws Exception {
    TckReport report = new TckReport();
    report.describe(adapter, List.of("FAN_OUT"), emulator);
    report.add(new RuleResult("TCK-1.1", "round trip", Status.PASSED, "", 3));
    return new ObjectMapper().readTree(report.toJson());
  }

  @Test
  @DisplayName("marks an adapter tested against an emulator in both tables and explains the mark in a footnote")
  void marksEmulatorColumns() throws Exception {
    Map<String, JsonNode> reports = new TreeMap<>(Map.of(
        "gcp-pubsub", report("gcp-pubsub", true), "rabbitmq", report("rabbitmq", false)));
    String md = CompatibilityMatrix.render(reports);
    assertTrue(md.contains("| gcp-pubsub (emulator) | FAN_OUT | 1 | 0 | 0 | 0 |"), md);
    assertTrue(md.contains("| rabbitmq | FAN_OUT | 1 | 0 | 0 | 0 |"), md);
    assertTrue(md.contains("| rule | gcp-pubsub (emulator) | rabbitmq | "), md);
    assertTrue(md.contains("| TCK-1.1 round trip | PASSED | PASSED | "), md);
    assertTrue(md.contains("\n(emulator): the fixture ran against the vendor's emulator, not the cloud service."), md);
    assertFalse(md.contains("rabbitmq (emulator)"), md);
  }

  @Test
  @DisplayName("has no emulator footnote when every adapter ran against its real broker")
  void noFootnoteWithoutEmulators() throws Exception {
    String md = CompatibilityMatrix.render(new TreeMap<>(Map.of("kafka", report("kafka", false))));
    assertFalse(md.contains("(emulator):"), md);
    assertTrue(md.contains("| rule | kafka | "), md);
  }
}
