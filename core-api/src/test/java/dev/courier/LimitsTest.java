package dev.courier;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.testsupport.CoreTestTransport;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Adapter limits")
class LimitsTest {
  /** An SQS-like adapter: publish delays up to 15 min, redeliveries up to 12 h. */
  private static final Capabilities SPLIT_DELAYS = Capabilities.builder().with(Capability.DELAYED_PUBLISH)
      .maxPublishDelay(Duration.ofMinutes(15)).maxRedeliveryDelay(Duration.ofHours(12)).build();

  private static Courier courier(Capabilities capabilities) {
    return Courier.builder().transport(CoreTestTransport.declaring(capabilities)).build();
  }

  @Test
  @DisplayName("applications get the broker's limits minus the headers and bytes Courier reserves")
  void reservation() {
    Capabilities c = Capabilities.builder().maxPayloadBytes(1000).maxHeaders(20).maxHeaderBytes(4096)
        .maxHeaderValueBytes(1024).maxMessageBytes(4500).build();
    assertEquals(new MessageLimits(1000, 20, 4096, 1024, 4500), c.brokerLimits());
    assertEquals(new MessageLimits(1000, 20 - CourierHeaders.RESERVED_COUNT, 4096 - CourierHeaders.RESERVED_BYTES,
        1024, 4500 - CourierHeaders.RESERVED_BYTES), c.limits());
    assertEquals(c.limits().maxHeaders(), c.maxHeaders());
    assertEquals(c.limits().maxHeaderBytes(), c.maxHeaderBytes());
    assertEquals(c.limits().maxMessageBytes(), c.maxMessageBytes());
    Capabilities defaults = Capabilities.builder().build();
    assertEquals(new MessageLimits(1 << 20, 64, 16_384, 16_384, (1 << 20) + 16_384), defaults.brokerLimits());
    assertEquals(new MessageLimits(1 << 20, 55, 14_336, 14_336, (1 << 20) + 14_336), defaults.limits());
    Capabilities copy = Capabilities.builder().limitsOf(c).build();
    assertEquals(c.brokerLimits(), copy.brokerLimits());
    assertEquals(c.limits(), copy.limits());
  }

  @Test
  @DisplayName("broker limits that leave no room for Courier's headers are refused, naming the limit")
  void noRoom() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Capabilities.builder().maxHeaders(CourierHeaders.RESERVED_COUNT).build());
    assertTrue(e.getMessage().contains("maxHeaders"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Capabilities.builder().maxHeaderBytes(2048).build());
    assertTrue(e.getMessage().contains("maxHeaderBytes"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Capabilities.builder().maxMessageBytes(1000).build());
    assertTrue(e.getMessage().contains("maxMessageBytes"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Capabilities.builder().maxHeaderValueBytes(10).build());
    assertTrue(e.getMessage().contains("maxHeaderValueBytes"), e.getMessage());
  }

  @Test
  @DisplayName("publishDelayed is checked against the maximum publish delay, not the redelivery one")
  void publishDelay() {
    try (Courier courier = courier(SPLIT_DELAYS)) {
      Message m = Message.of(new byte[] {1});
      assertDoesNotThrow(() -> courier.publisher().publishDelayed("orders", m, Duration.ofMinutes(15)).join());
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> courier.publisher().publishDelayed("orders", m, Duration.ofHours(1)));
      assertTrue(e.getMessage().contains("maxPublishDelay") && e.getMessage().contains("PT15M"), e.getMessage());
    }
  }

  @Test
  @DisplayName("subscribe checks the retry policy's redelivery delay against the maximum redelivery delay")
  void redeliveryDelay() {
    try (Courier courier = courier(SPLIT_DELAYS)) {
      RetryPolicy twelveHours = RetryPolicy.builder().redeliveryMaxDelay(Duration.ofHours(12)).build();
      courier.subscribe(SubscriptionOptions.builder("orders", "billing").retry(twelveHours).build(), d -> {}).close();
      RetryPolicy tooLong = RetryPolicy.builder().redeliveryMaxDelay(Duration.ofHours(13)).build();
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> courier.subscribe(
          SubscriptionOptions.builder("orders", "billing").retry(tooLong).build(), d -> {}));
      assertTrue(e.getMessage().contains("maxRedeliveryDelay") && e.getMessage().contains("PT12H"), e.getMessage());
    }
  }

  @Test
  @DisplayName("publish refuses a header value over the per-value limit and a message over the total limit")
  void valueAndTotal() {
    Capabilities c = Capabilities.builder().maxPayloadBytes(4000).maxHeaderValueBytes(1024)
        .maxMessageBytes(6000).build();
    try (Courier courier = courier(c)) {
      Message value = Message.builder().header("h", "ü".repeat(513)).payload(new byte[1]).build();
      PayloadTooLargeException e = assertThrows(PayloadTooLargeException.class,
          () -> courier.publisher().publish("orders", value));
      assertTrue(e.getMessage().contains("1026 bytes in header 'h' (at most 1024)"), e.getMessage());
      Message total = Message.builder().header("h", "v".repeat(1000)).header("i", "v".repeat(1000))
          .payload(new byte[2000]).build();
      e = assertThrows(PayloadTooLargeException.class, () -> courier.publisher().publish("orders", total));
      assertTrue(e.getMessage().contains("4002 bytes of payload and headers (at most 3952)"), e.getMessage());
      courier.publisher().publish("orders", Message.builder().header("h", "ü".repeat(512)).payload(new byte[2000])
          .build()).join();
    }
  }
}
