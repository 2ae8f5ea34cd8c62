package dev.courier.spi.support;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("RateLimitedLog")
class RateLimitedLogTest {
  private final AtomicLong now = new AtomicLong(1_000);
  private final RateLimitedLog limiter = new RateLimitedLog(Duration.ofNanos(100), now::get);

  @Test
  @DisplayName("lets the first line through, holds back the rest of the interval, and then says how many it held back")
  void oncePerIntervalCountingSuppressed() {
    assertEquals(0, limiter.admit("k"));
    now.addAndGet(50);
    assertEquals(RateLimitedLog.SUPPRESSED, limiter.admit("k"));
    now.addAndGet(49);
    assertEquals(RateLimitedLog.SUPPRESSED, limiter.admit("k"));
    now.addAndGet(1);
    assertEquals(2, limiter.admit("k"));
    assertEquals(RateLimitedLog.SUPPRESSED, limiter.admit("k"));
    now.addAndGet(100);
    assertEquals(1, limiter.admit("k"));
  }

  @Test
  @DisplayName("keys are limited independently")
  void keysAreIndependent() {
    assertEquals(0, limiter.admit("a"));
    assertEquals(0, limiter.admit("b"));
    assertEquals(RateLimitedLog.SUPPRESSED, limiter.admit("a"));
    assertEquals(0, limiter.admit());
    assertEquals(RateLimitedLog.SUPPRESSED, limiter.admit());
  }

  @Test
  @DisplayName("describes held-back lines only when there were some")
  void describesSuppressed() {
    assertEquals("", RateLimitedLog.more(0, "failures"));
    assertEquals(" (and 3 more failures)", RateLimitedLog.more(3, "failures"));
  }
}
