package dev.courier.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {
  private static final Path FIXTURES = Path.of("src/test/resources/report");

  @Test
  @DisplayName("the report's tables come from the JSON files: sides, ratios with spread, latency, machine, date")
  void markdownFromJson() throws Exception {
    List<JsonNode> runs = Report.read(FIXTURES);
    assertEquals(List.of("inmemory", "kafka"), runs.stream().map(r -> r.path("adapter").asText()).toList(),
        "in the report's order, not the files'");
    String md = Report.markdown(runs, "From a loaded machine.");
    assertTrue(md.contains("**Note:** From a loaded machine."), md);
    assertTrue(md.contains("| kafka | 40,000 (38,000–42,000) | raw: 42,000 (40,000–45,000) | 30,000 (29,000–31,000)"
        + " | courierToRaw 0.95 (0.90–1.01) | 1.33 (1.20–1.40) | 2,100 | 1,900 | 3,000 | 2026-12-02T02:30:00Z |"), md);
    assertTrue(md.contains("| courierToHandoff | courier / jdkHandoff | 0.25 (0.21–0.30) |  |"), md);
    assertTrue(md.contains("| peer | 900 | 3,000 | 9,000 | 12,000 |"), md);
    assertTrue(md.contains("**Busy machine:** `kafka` started at a load average of 3.50 on 2 cores"), md);
  }

  @Test
  @DisplayName("the chart has one bar per ratio and figure, and is written as a PNG")
  void chart(@TempDir Path dir) throws Exception {
    List<JsonNode> runs = Report.read(FIXTURES);
    assertEquals(6, RatioChart.bars(runs).size()); // inmemory 2 ratios; kafka 2 ratios x (end-to-end, publish)
    Report.main(new String[] {FIXTURES.toString(), dir.toString()});
    BufferedImage png = ImageIO.read(dir.resolve(Report.CHART).toFile());
    assertTrue(png.getHeight() > 100 && png.getWidth() == 1000);
    assertTrue(Files.readString(dir.resolve("benchmarks.md")).startsWith("# Benchmarks"));
  }
}
