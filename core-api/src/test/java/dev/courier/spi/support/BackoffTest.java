package dev.courier.spi.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Backoff")
class BackoffTest {
  private final Backoff doubling = Backoff.exponential(Duration.ofMillis(100), Duration.ofSeconds(10));

  @Test
  @DisplayName("doubles from the initial delay and stops at the maximum")
  void doublesUpToMax() {
    assertEquals(100, doubling.delayMillis(1));
    assertEquals(200, doubling.delayMillis(2));
    assertEquals(6_400, doubling.delayMillis(7));
    assertEquals(10_000, doubling.delayMillis(8));
    assertEquals(10_000, doubling.delayMillis(Integer.MAX_VALUE), "no overflow for huge attempts");
    assertEquals(Duration.ofMillis(400), doubling.delay(3));
  }

  @Test
  @DisplayName("grows by the multiplier it is given")
  void usesMultiplier() {
    Backoff b = doubling.withMultiplier(3);
    assertEquals(100, b.delayMillis(1));
    assertEquals(900, b.delayMillis(3));
    assertEquals(10_000, b.delayMillis(6));
  }

  @Test
  @DisplayName("jitter takes off a random share no larger than asked, the same for the same seed")
  void jitterIsBoundedAndSeeded() {
    Backoff b = doubling.withJitter(0.5);
    Random one = new Random(42);
    Random two = new Random(42);
    boolean varied = false;
    for (int attempt = 1; attempt <= 20; attempt++) {
      long full = doubling.delayMillis(attempt);
      long d = b.delayMillis(attempt, one);
      assertTrue(d > full / 2 - 1 && d <= full, "attempt " + attempt + ": " + d + " of " + full);
      assertEquals(d, b.delayMillis(attempt, two));
      varied |= d != full;
    }
    assertTrue(varied, "jitter changed no delay");
  }

  @Test
  @DisplayName("bad parameters are refused with their names")
  void refusesBadParameters() {
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> Backoff.exponential(Duration.ZERO, Duration.ofSeconds(1))).getMessage().contains("initial"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> Backoff.exponential(Duration.ofSeconds(2), Duration.ofSeconds(1))).getMessage().contains("max"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> doubling.withMultiplier(0.5)).getMessage()
        .contains("multiplier"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> doubling.withJitter(1.5)).getMessage()
        .contains("jitter"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> doubling.delayMillis(0)).getMessage()
        .contains("attempt"));
  }
}
