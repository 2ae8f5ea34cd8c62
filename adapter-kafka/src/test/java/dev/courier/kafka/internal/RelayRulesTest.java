package dev.courier.kafka.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The receiver's relay rules for held delay-topic records, without a broker")
class RelayRulesTest {
  private static final long NEVER = Long.MIN_VALUE / 2;

  @Test
  @DisplayName("a commit lagging 10,000 offsets is left alone; one offset more relays the held records older than half the lag")
  void pinLagTrigger() {
    assertEquals(-1, RelayRules.pinCutoff(0, 10_000, NEVER), "a lag of exactly 10,000");
    assertEquals(5_001, RelayRules.pinCutoff(0, 10_001, NEVER), "a lag of 10,001");
    assertEquals(1_005_000, RelayRules.pinCutoff(990_000, 1_010_000, NEVER), "a lag of 20,000 far into the partition");
  }

  @Test
  @DisplayName("a partition with nothing read, or relayed for less than half a lag ago, is not relayed again")
  void pinLagRecheck() {
    assertEquals(-1, RelayRules.pinCutoff(-1, 20_000, NEVER), "nothing read");
    assertEquals(-1, RelayRules.pinCutoff(0, 14_999, 10_001), "4,998 read since the last relay");
    assertEquals(10_000, RelayRules.pinCutoff(0, 15_000, 10_000), "half a lag read since the last relay");
  }

  @Test
  @DisplayName("beyond maxHeld the excess is relayed at most once per interval, which doubles up to a minute")
  void overflowIntervalDoubles() {
    RelayRules rules = new RelayRules(100);
    long t = 1_000_000;
    assertEquals(0, rules.overflow(100, t), "at the bound, nothing");
    assertEquals(5, rules.overflow(105, t), "the excess");
    assertEquals(0, rules.overflow(105, t + 999), "within the first interval");
    assertTrue(rules.pause(100, 0, t + 999), "paused while the interval runs at the bound");
    assertFalse(rules.pause(99, 0, t + 999), "below the bound, never paused");
    assertEquals(5, rules.overflow(105, t + 1_000), "after 1 s");
    assertEquals(0, rules.overflow(105, t + 2_999), "the next interval is 2 s");
    assertEquals(5, rules.overflow(105, t + 3_000), "after 2 s more");
    long at = t + 3_000;
    for (int i = 0; i < 10; i++) { // 4, 8, 16, 32, then 60 s
      long interval = Math.min(60_000, 4_000L << i);
      assertEquals(0, rules.overflow(105, at + interval - 1), "interval " + i);
      at += interval;
      assertEquals(5, rules.overflow(105, at), "interval " + i);
    }
    assertFalse(rules.pause(105, 0, at + 60_000), "not paused once the interval ran out");
    assertTrue(rules.pause(105, 1, at + 60_000), "paused while copies are in flight");
  }

  @Test
  @DisplayName("after a quiet interval the overflow interval starts again at 1 s")
  void overflowIntervalResets() {
    RelayRules rules = new RelayRules(10);
    long t = 5_000;
    assertEquals(1, rules.overflow(11, t)); // next at t + 1 s, interval 2 s
    assertEquals(1, rules.overflow(11, t + 1_000)); // next at t + 3 s, interval 4 s
    assertEquals(0, rules.overflow(10, t + 6_999), "not quiet for a whole interval yet");
    assertEquals(0, rules.overflow(10, t + 7_000), "quiet for a whole interval: reset");
    assertEquals(1, rules.overflow(11, t + 7_000));
    assertEquals(0, rules.overflow(11, t + 7_999), "the interval is 1 s again");
    assertEquals(1, rules.overflow(11, t + 8_000));
  }
}
