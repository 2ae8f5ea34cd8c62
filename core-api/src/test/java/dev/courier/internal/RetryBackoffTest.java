package dev.courier.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.RetryPolicy;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Retry backoff")
class RetryBackoffTest {
  @Test
  @DisplayName("spaces in-process retries exponentially with jitter, and never beyond maxInterval")
  void inProcessSpacingWithJitter() {
    RetryPolicy policy = RetryPolicy.builder().initialInterval(Duration.ofMillis(100)).multiplier(2.0)
        .maxInterval(Duration.ofMillis(500)).randomizationFactor(0.25).build();
    Backoff backoff = new Backoff(policy);
    long[] nominal = {100, 200, 400, 800, 1600}; // before the cap; jitter applies, then the 500 ms cap
    for (int retry = 1; retry <= nominal.length; retry++) {
      Set<Long> seen = new HashSet<>();
      for (int i = 0; i < 200; i++) {
        long ms = backoff.inProcess(retry).toMillis();
        seen.add(ms);
        long low = Math.min(500, (long) Math.floor(nominal[retry - 1] * 0.75));
        long high = Math.min(500, (long) Math.ceil(nominal[retry - 1] * 1.25));
        assertTrue(ms >= low && ms <= high,
            "retry " + retry + " waited " + ms + " ms, outside [" + low + ", " + high + "]");
      }
      if (nominal[retry - 1] * 0.75 < 500) {
        assertTrue(seen.size() > 5, "retry " + retry + " shows no jitter: " + seen);
      } else {
        assertEquals(Set.of(500L), seen, "retry " + retry + " must be capped at maxInterval");
      }
    }
  }

  @Test
  @DisplayName("without jitter, waits exactly initial × multiplier^(n-1), capped at maxInterval")
  void noJitterIsExact() {
    Backoff backoff = new Backoff(RetryPolicy.builder().initialInterval(Duration.ofMillis(10))
        .multiplier(3.0).maxInterval(Duration.ofMillis(100)).randomizationFactor(0).build());
    assertEquals(Duration.ofMillis(10), backoff.inProcess(1));
    assertEquals(Duration.ofMillis(30), backoff.inProcess(2));
    assertEquals(Duration.ofMillis(90), backoff.inProcess(3));
    assertEquals(Duration.ofMillis(100), backoff.inProcess(4));
  }

  @Test
  @DisplayName("a zero initial interval retries at once")
  void zeroInterval() {
    Backoff backoff = new Backoff(RetryPolicy.builder().initialInterval(Duration.ZERO).build());
    assertEquals(Duration.ZERO, backoff.inProcess(1));
    assertEquals(Duration.ZERO, backoff.inProcess(3));
  }

  @Test
  @DisplayName("grows the broker redelivery delay per delivery, capped by the policy and by the adapter")
  void redeliveryDelays() {
    Backoff backoff = new Backoff(RetryPolicy.builder().redeliveryInitialDelay(Duration.ofSeconds(1))
        .redeliveryMultiplier(2.0).redeliveryMaxDelay(Duration.ofSeconds(5)).build());
    Duration adapterMax = Duration.ofDays(1);
    assertEquals(Duration.ofSeconds(1), backoff.redelivery(1, adapterMax));
    assertEquals(Duration.ofSeconds(2), backoff.redelivery(2, adapterMax));
    assertEquals(Duration.ofSeconds(4), backoff.redelivery(3, adapterMax));
    assertEquals(Duration.ofSeconds(5), backoff.redelivery(4, adapterMax));
    assertEquals(Duration.ofSeconds(5), backoff.redelivery(10_000, adapterMax));
    assertEquals(Duration.ofSeconds(3), backoff.redelivery(3, Duration.ofSeconds(3)));
  }
}
