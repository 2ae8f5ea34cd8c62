package dev.courier.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * The report's chart: one horizontal bar per ratio (median), a whisker for its min–max, and a line
 * at 1 (parity). Drawn with headless java.awt, so the report needs nothing outside the JDK.
 */
final class RatioChart {
  private static final int WIDTH = 1000;
  private static final int ROW = 26;
  private static final int LEFT = 380;
  private static final int RIGHT = 70;
  private static final int TOP = 56;
  private static final int BOTTOM = 50;
  private static final Color END_TO_END = new Color(0x3b6fb6);
  private static final Color PUBLISH = new Color(0xe08a2c);

  private RatioChart() {}

  record Bar(String label, boolean publish, double median, double min, double max) {}

  static List<Bar> bars(List<JsonNode> runs) {
    List<Bar> bars = new ArrayList<>();
    for (JsonNode run : runs) {
      for (String r : Report.strings(run.path("ratios"))) {
        for (String metric : List.of("msgsPerSec", "publishMsgsPerSec")) {
          JsonNode s = run.path(r).path(metric);
          if (s.has("median")) {
            boolean publish = metric.startsWith("publish");
            bars.add(new Bar(run.path("adapter").asText() + "  " + r + (publish ? " (publish)" : ""), publish,
                s.path("median").asDouble(), s.path("min").asDouble(), s.path("max").asDouble()));
          }
        }
      }
    }
    return bars;
  }

  static void write(List<JsonNode> runs, Path png) throws IOException {
    List<Bar> bars = bars(runs);
    int height = TOP + BOTTOM + ROW * Math.max(1, bars.size());
    double scale = 1.2;
    for (Bar b : bars) {
      scale = Math.max(scale, b.max * 1.05);
    }
    scale = Math.ceil(scale * 5) / 5;
    BufferedImage image = new BufferedImage(WIDTH, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, WIDTH, height);
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
    g.drawString("Ratios between sides: median of per-round ratios, whisker min–max (1 = parity)", 20, 26);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    legend(g, 20, 44, END_TO_END, "end-to-end");
    legend(g, 140, 44, PUBLISH, "publish-only");
    int plot = WIDTH - LEFT - RIGHT;
    int bottom = TOP + ROW * bars.size();
    for (double tick = 0; tick <= scale + 1e-9; tick += scale > 3 ? 1 : 0.2) {
      int x = LEFT + (int) (plot * tick / scale);
      g.setColor(new Color(0xdddddd));
      g.drawLine(x, TOP - 4, x, bottom);
      g.setColor(Color.DARK_GRAY);
      String label = String.format(Locale.ROOT, "%.1f", tick);
      g.drawString(label, x - g.getFontMetrics().stringWidth(label) / 2, bottom + 18);
    }
    for (int i = 0; i < bars.size(); i++) {
      Bar b = bars.get(i);
      int y = TOP + i * ROW;
      g.setColor(Color.BLACK);
      g.drawString(b.label, LEFT - 10 - g.getFontMetrics().stringWidth(b.label), y + ROW / 2 + 5);
      g.setColor(b.publish ? PUBLISH : END_TO_END);
      g.fillRect(LEFT, y + 5, (int) (plot * b.median / scale), ROW - 10);
      int x1 = LEFT + (int) (plot * b.min / scale);
      int x2 = LEFT + (int) (plot * b.max / scale);
      g.setColor(Color.BLACK);
      g.setStroke(new BasicStroke(1.5f));
      g.drawLine(x1, y + ROW / 2, x2, y + ROW / 2);
      g.drawLine(x1, y + 8, x1, y + ROW - 8);
      g.drawLine(x2, y + 8, x2, y + ROW - 8);
      g.drawString(String.format(Locale.ROOT, "%.2f", b.median), Math.max(x2, LEFT + (int) (plot * b.median / scale)) + 6,
          y + ROW / 2 + 5);
    }
    int one = LEFT + (int) (plot / scale);
    g.setColor(new Color(0xc0392b));
    g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {6, 4}, 0));
    g.drawLine(one, TOP - 4, one, bottom);
    g.dispose();
    ImageIO.write(image, "png", png.toFile());
  }

  private static void legend(Graphics2D g, int x, int y, Color c, String text) {
    g.setColor(c);
    g.fillRect(x, y - 10, 14, 12);
    g.setColor(Color.BLACK);
    g.drawString(text, x + 20, y);
  }
}
