package dev.courier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.config.CourierConfig;
import dev.courier.internal.ProviderRegistry;
import dev.courier.spi.TransportProvider;
import dev.courier.testsupport.CoreTestTransport;
import dev.courier.testsupport.CoreTestTransportProvider;
import dev.courier.testsupport.DuplicateNameProvider;
import dev.courier.testsupport.ThrowawayClassPath;
import java.io.IOException;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Finding an adapter by name")
class ProviderLookupTest {
  private static final String SERVICES = "META-INF/services/" + TransportProvider.class.getName();

  @TempDir
  Path dir;

  private static CourierConfig.Builder config() {
    return CourierConfig.builder().classpathFile(false);
  }

  @Test
  @DisplayName("courier.broker=core-test creates the registered adapter with its own configuration keys")
  void found() {
    String instance = "lookup-" + UUID.randomUUID();
    try (Courier courier = Courier.fromConfig(config().set("courier.broker", "core-test")
        .set("courier.core-test.instance", instance).set("courier.core-test.password", "hunter2").build())) {
      assertEquals("core-test", courier.adapter());
      CoreTestTransport transport = CoreTestTransportProvider.created(instance).orElseThrow();
      assertEquals("hunter2", transport.config().get("password"));
      assertFalse(transport.config().toString().contains("hunter2"), transport.config().toString());
      assertFalse(transport.isClosed());
    }
    assertTrue(CoreTestTransportProvider.created(instance).orElseThrow().isClosed(), "closing Courier closes the transport");
  }

  @Test
  @DisplayName("the adapter learns the publish timeout it serves: courier.publish-timeout, or the builder's when set in code")
  void publishTimeoutReachesTheAdapter() {
    String instance = "timeout-" + UUID.randomUUID();
    CourierConfig c = config().set("courier.broker", "core-test").set("courier.core-test.instance", instance)
        .set("courier.publish-timeout", "7s").build();
    try (Courier courier = Courier.fromConfig(c)) {
      assertEquals(Duration.ofSeconds(7), CoreTestTransportProvider.created(instance).orElseThrow().config().publishTimeout());
    }
    try (Courier courier = Courier.builder().config(c).publishTimeout(Duration.ofSeconds(4)).build()) {
      assertEquals(Duration.ofSeconds(4), CoreTestTransportProvider.created(instance).orElseThrow().config().publishTimeout());
    }
  }

  @Test
  @DisplayName("an unknown name fails with a ConfigurationException listing the available adapters")
  void unknownName() {
    ConfigurationException e = assertThrows(ConfigurationException.class,
        () -> Courier.fromConfig(config().set("courier.broker", "nope").build()));
    assertTrue(e.getMessage().contains("'nope'"), e.getMessage());
    assertTrue(e.getMessage().contains("core-test"), e.getMessage());
    assertTrue(e.getMessage().contains("courier.broker"), e.getMessage());
  }

  @Test
  @DisplayName("a missing courier.broker fails, saying how to set it and listing the available adapters")
  void missingBroker() {
    ConfigurationException e = assertThrows(ConfigurationException.class, () -> Courier.fromConfig(config().build()));
    assertTrue(e.getMessage().contains("courier.broker"), e.getMessage());
    assertTrue(e.getMessage().contains("COURIER_BROKER"), e.getMessage());
    assertTrue(e.getMessage().contains("core-test"), e.getMessage());
  }

  @Test
  @DisplayName("an unknown key of the adapter fails before the transport is created, listing the known keys")
  void unknownAdapterKey() {
    ConfigurationException e = assertThrows(ConfigurationException.class, () -> Courier.fromConfig(
        config().set("courier.broker", "core-test").set("courier.core-test.pasword", "x").build()));
    assertTrue(e.getMessage().contains("courier.core-test.pasword"), e.getMessage());
    assertTrue(e.getMessage().contains("password"), e.getMessage());
    assertTrue(e.getMessage().contains("instance"), e.getMessage());
  }

  @Test
  @DisplayName("two providers registered under one name fail, naming both classes")
  void duplicateNames() throws IOException {
    try (URLClassLoader loader = ThrowawayClassPath.with(dir, Map.of(SERVICES, DuplicateNameProvider.class.getName() + "\n"))) {
      ConfigurationException direct = assertThrows(ConfigurationException.class, () -> ProviderRegistry.providers(loader));
      assertTrue(direct.getMessage().contains(CoreTestTransportProvider.class.getName()), direct.getMessage());
      assertTrue(direct.getMessage().contains(DuplicateNameProvider.class.getName()), direct.getMessage());
      assertTrue(direct.getMessage().contains("'core-test'"), direct.getMessage());

      ConfigurationException viaCourier = assertThrows(ConfigurationException.class, () -> ThrowawayClassPath.inContext(
          loader, () -> Courier.fromConfig(config().set("courier.broker", "core-test").build())));
      assertTrue(viaCourier.getMessage().contains(DuplicateNameProvider.class.getName()), viaCourier.getMessage());
    }
  }

  @Test
  @DisplayName("a services file naming a missing class fails with a ConfigurationException, not a ServiceConfigurationError")
  void brokenRegistration() throws IOException {
    try (URLClassLoader loader = ThrowawayClassPath.with(dir, Map.of(SERVICES, "com.example.NoSuchProvider\n"))) {
      ConfigurationException e = assertThrows(ConfigurationException.class, () -> ProviderRegistry.providers(loader));
      assertTrue(e.getMessage().contains("com.example.NoSuchProvider"), e.getMessage());
      assertNotNull(e.getCause());
    }
  }

  @Test
  @DisplayName("availableAdapters() lists the registered names")
  void available() {
    assertTrue(Courier.availableAdapters().contains("core-test"), Courier.availableAdapters().toString());
  }

  @Test
  @DisplayName("the builder refuses a missing transport and a non-positive publish timeout, naming them")
  void builderValidation() {
    assertTrue(assertThrows(IllegalStateException.class, () -> Courier.builder().build()).getMessage().contains("transport"));
    assertEquals("transport", assertThrows(NullPointerException.class, () -> Courier.builder().transport(null)).getMessage());
    assertEquals("publishTimeout", assertThrows(NullPointerException.class, () -> Courier.builder().publishTimeout(null)).getMessage());
    for (Duration bad : new Duration[] {Duration.ZERO, Duration.ofSeconds(-1)}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Courier.builder().publishTimeout(bad));
      assertTrue(e.getMessage().contains("publishTimeout"), e.getMessage());
    }
  }

  @Test
  @DisplayName("a bad courier.publish-timeout fails fromConfig with a ConfigurationException")
  void badPublishTimeoutFromConfig() {
    ConfigurationException e = assertThrows(ConfigurationException.class, () -> Courier.fromConfig(
        config().set("courier.broker", "core-test").set("courier.publish-timeout", "0s").build()));
    assertTrue(e.getMessage().contains("courier.publish-timeout"), e.getMessage());
  }
}
