package dev.courier.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.courier.bench.driver.Workload;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class StatsTest {
  @Test
  @DisplayName("the median of an odd number of runs is the middle one, the spread their min and max")
  void oddMedian() {
    Stats s = Stats.of(new double[] {5, 1, 4, 2, 3});
    assertEquals(3, s.median());
    assertEquals(1, s.min());
    assertEquals(5, s.max());
    assertArrayEquals(new double[] {5, 1, 4, 2, 3}, s.runs(), "runs keep their round order");
  }

  @Test
  @DisplayName("the median of an even number of runs is the mean of the middle two")
  void evenMedian() {
    assertEquals(2.5, Stats.of(new double[] {4, 1, 3, 2}).median());
  }

  @Test
  @DisplayName("a ratio is the median of the per-round ratios, not the ratio of the medians")
  void ratioOfRounds() {
    // per round: 1.0, 0.5, 2.0 -> median 1.0; the medians (20 / 20) would also say 1.0, so make them differ:
    Stats r = Stats.ofRatios(new double[] {10, 20, 90}, new double[] {10, 40, 30});
    assertEquals(1.0, r.median(), 1e-12);
    assertEquals(0.5, r.min(), 1e-12);
    assertEquals(3.0, r.max(), 1e-12);
    assertThrows(IllegalArgumentException.class, () -> Stats.ofRatios(new double[] {1}, new double[] {1, 2}));
  }

  @Test
  @DisplayName("percentiles are nearest-rank over the sorted latencies")
  void percentiles() {
    long[] sorted = new long[1000];
    for (int i = 0; i < sorted.length; i++) {
      sorted[i] = i + 1;
    }
    assertEquals(500, Workload.percentile(sorted, 0.50));
    assertEquals(990, Workload.percentile(sorted, 0.99));
    assertEquals(999, Workload.percentile(sorted, 0.999));
    assertEquals(7, Workload.percentile(new long[] {7}, 0.99));
  }

  @Test
  @DisplayName("options take key=value arguments, a bare first number as the message count, and scale")
  void options() {
    Options o = Options.parse(new String[] {"kafka", "out.json", "20000", "rounds=7", "scale=0.5"}, 100_000);
    assertEquals(10_000, o.messages());
    assertEquals(7, o.rounds());
    assertEquals(10_000, o.warmup());
    assertEquals(10, o.latencySeconds());
    assertThrows(IllegalArgumentException.class, () -> Options.parse(new String[] {"k", "o", "round=3"}, 1));
  }
}
