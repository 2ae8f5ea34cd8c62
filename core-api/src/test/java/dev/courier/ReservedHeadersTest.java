package dev.courier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.config.CourierConfig;
import dev.courier.testsupport.CoreTestTransport;
import dev.courier.testsupport.CoreTestTransportProvider;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("Publishing a header with a reserved name")
class ReservedHeadersTest {
  @ParameterizedTest(name = "\"{0}\" is refused")
  @ValueSource(strings = {"courier-id", CourierHeaders.REDRIVE_COUNT, "Courier-Dlq-Reason", "x-courier-key"})
  @DisplayName("fails with an IllegalArgumentException naming the header, before anything is sent")
  void refused(String name) {
    String instance = "reserved-" + UUID.randomUUID();
    try (Courier courier = Courier.fromConfig(CourierConfig.builder().classpathFile(false)
        .set("courier.broker", "core-test").set("courier.core-test.instance", instance).build())) {
      CoreTestTransport transport = CoreTestTransportProvider.created(instance).orElseThrow();
      Message fine = Message.of(new byte[] {1});
      Message spoofed = Message.builder().header("trace", "t").header(name, "forged").payload(new byte[] {2}).build();
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> courier.publisher().publish("orders", spoofed));
      assertTrue(e.getMessage().contains("'" + name + "'"), e.getMessage());
      assertTrue(e.getMessage().contains("reserved"), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> courier.publisher().publishAll("orders", List.of(fine, spoofed)));
      assertThrows(IllegalArgumentException.class,
          () -> courier.publisher().publishDelayed("orders", spoofed, Duration.ofSeconds(1)));
      assertEquals(0, transport.sent(), "nothing of a refused call is sent");
      courier.publisher().publish("orders", fine).join();
      assertEquals(1, transport.sent(), "a message without reserved headers is sent");
    }
  }
}
