package dev.courier.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.ConfigurationException;
import dev.courier.Courier;
import dev.courier.config.CourierConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The order demo")
class OrderDemoTest {
  @Test
  @DisplayName("settles every order in every group, retries transient payment failures and dead-letters the declined card")
  void runsOnInMemory() {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    OrderDemo.Summary s = OrderDemo.run(
        CourierConfig.builder().set(CourierConfig.BROKER, "inmemory").build(), 50,
        new PrintStream(buf, true, StandardCharsets.UTF_8));
    String printed = buf.toString(StandardCharsets.UTF_8);
    assertTrue(s.complete(), printed);
    assertEquals(49, s.handled().get("payment"), printed);
    assertEquals(1, s.deadLettered().get("payment"), printed);
    assertEquals(java.util.OptionalLong.of(1), s.deadLettersWaiting(), printed);
    assertEquals(50, s.handled().get("inventory"), printed);
    assertEquals(50, s.handled().get("email"), printed);
    // Orders 3, 13, 23, 33, 43 time out twice each; the declined card fails 3 x 3 times.
    assertTrue(s.retried().get("payment") >= 10, printed);
    assertTrue(s.redelivered().get("payment") >= 2, printed);
    assertTrue(printed.contains("card ending 0002 declined"), printed);
  }

  @Test
  @DisplayName("fails with a clear message listing the adapters when COURIER_BROKER names none")
  void unknownBroker() {
    CourierConfig config = CourierConfig.builder()
        .environment(java.util.Map.of("COURIER_BROKER", "nope")).build();
    ConfigurationException e = assertThrows(ConfigurationException.class, () -> Courier.fromConfig(config));
    assertTrue(e.getMessage().contains("'nope'"), e.getMessage());
    assertTrue(e.getMessage().contains("inmemory"), e.getMessage());
  }
}
