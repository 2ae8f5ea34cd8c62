package dev.courier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.config.CourierConfig;
import dev.courier.testsupport.CoreTestTransport;
import dev.courier.testsupport.CoreTestTransportProvider;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Durations meant as "forever" (Long.MAX_VALUE ms, the largest Duration) are capped, never overflow. */
@DisplayName("Huge durations")
class DurationLimitsTest {
  /** The documented cap: 36,500 days, about a century. */
  private static final Duration CAP = Duration.ofDays(36_500);
  private static final List<Duration> FOREVER = List.of(Duration.ofMillis(Long.MAX_VALUE),
      Duration.ofSeconds(Long.MAX_VALUE, 999_999_999), Duration.ofDays(36_501));

  @Test
  @DisplayName("are capped at 36,500 days by the subscription options builder")
  void subscriptionOptions() {
    for (Duration d : FOREVER) {
      SubscriptionOptions o = SubscriptionOptions.builder("t", "g").handlerTimeout(d).drainTimeout(d).build();
      assertEquals(CAP, o.handlerTimeout(), d.toString());
      assertEquals(CAP, o.drainTimeout(), d.toString());
    }
    assertEquals(Duration.ofDays(36_500), SubscriptionOptions.builder("t", "g").drainTimeout(CAP).build().drainTimeout());
  }

  @Test
  @DisplayName("are capped at 36,500 days by the retry policy builder")
  void retryPolicy() {
    for (Duration d : FOREVER) {
      RetryPolicy p = RetryPolicy.builder().maxInterval(d).redeliveryMaxDelay(d).build();
      assertEquals(CAP, p.maxInterval(), d.toString());
      assertEquals(CAP, p.redeliveryMaxDelay(), d.toString());
      RetryPolicy q = RetryPolicy.builder().initialInterval(d).maxInterval(d)
          .redeliveryInitialDelay(d).redeliveryMaxDelay(d).build();
      assertEquals(CAP, q.initialInterval(), d.toString());
      assertEquals(CAP, q.redeliveryInitialDelay(), d.toString());
    }
  }

  @Test
  @DisplayName("as publish and redrive timeouts build a Courier that publishes")
  void courierTimeouts() {
    String instance = "durations-" + UUID.randomUUID();
    for (Duration d : FOREVER) {
      try (Courier courier = Courier.builder().config(config(instance)).publishTimeout(d).redriveIdleTimeout(d).build()) {
        courier.publisher().publish("orders", Message.of(new byte[] {1})).join();
      }
    }
  }

  @Test
  @DisplayName("as a drain timeout let close() finish: workers stop and the receiver is closed")
  void closeWithForeverDrain() {
    String instance = "drain-" + UUID.randomUUID();
    try (Courier courier = Courier.fromConfig(config(instance))) {
      CoreTestTransport transport = CoreTestTransportProvider.created(instance).orElseThrow();
      Subscription s = courier.subscribe(SubscriptionOptions.builder("orders", "billing")
          .drainTimeout(Duration.ofMillis(Long.MAX_VALUE)).build(), d -> {});
      s.close();
      assertTrue(transport.receivers().get(0).isClosed(), "the receiver is closed");
    }
  }

  private static CourierConfig config(String instance) {
    return CourierConfig.builder().classpathFile(false).set("courier.broker", "core-test")
        .set("courier.core-test.instance", instance).build();
  }
}
