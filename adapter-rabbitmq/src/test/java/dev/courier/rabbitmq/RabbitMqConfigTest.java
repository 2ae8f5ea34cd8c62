package dev.courier.rabbitmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.ConnectionFactory;
import dev.courier.ConfigurationException;
import dev.courier.CourierException;
import dev.courier.config.AdapterConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("RabbitMQ configuration")
class RabbitMqConfigTest {
  private static final String SECRET = "s3cr3t-Pa55";
  private final RabbitMqTransportProvider provider = new RabbitMqTransportProvider();

  private AdapterConfig config(Map<String, String> values) {
    return AdapterConfig.of("rabbitmq", provider.configKeys(), values);
  }

  @Test
  @DisplayName("a URI sets host, port, virtual host, user and password; amqps turns TLS on with port 5671")
  void uriParts() {
    RabbitMqSettings s = RabbitMqTransportProvider.settings(config(Map.of("uri",
        "amqp://app:" + SECRET + "@rabbit.example:5673/orders%2Fprod")));
    assertEquals("rabbit.example", s.host());
    assertEquals(5673, s.port());
    assertEquals("orders/prod", s.virtualHost());
    assertEquals("app", s.username());
    assertEquals(SECRET, s.password());
    assertFalse(s.tls());
    RabbitMqSettings tls = RabbitMqSettings.builder().uri("amqps://rabbit.example").build();
    assertTrue(tls.tls());
    assertEquals(5671, tls.port());
  }

  @Test
  @DisplayName("tls.enabled with an amqp:// URI is rejected instead of silently connecting in plain text")
  void tlsWithPlainUriRejected() {
    ConfigurationException e = assertThrows(ConfigurationException.class, () -> RabbitMqTransportProvider.settings(
        config(Map.of("tls.enabled", "true", "uri", "amqp://app:" + SECRET + "@rabbit.example/"))));
    assertTrue(e.getMessage().contains("amqps://"), e.getMessage());
    assertFalse(e.getMessage().contains(SECRET), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> RabbitMqSettings.builder().uri("amqp://rabbit.example/").tls(true).build());
    RabbitMqSettings s = RabbitMqTransportProvider.settings(
        config(Map.of("tls.enabled", "true", "uri", "amqps://app:" + SECRET + "@rabbit.example/")));
    assertTrue(s.tls());
    assertEquals(5671, s.port());
  }

  @Test
  @DisplayName("a URI whose host has an underscore keeps its host, port, user, password and virtual host")
  void underscoreHost() {
    RabbitMqSettings s = RabbitMqSettings.builder().uri("amqp://app:" + SECRET + "@my_rabbit:5673/orders").build();
    assertEquals("my_rabbit", s.host());
    assertEquals(5673, s.port());
    assertEquals("app", s.username());
    assertEquals(SECRET, s.password());
    assertEquals("orders", s.virtualHost());
    RabbitMqSettings v6 = RabbitMqSettings.builder().uri("amqps://u:p@[::1]:5999").build();
    assertEquals("::1", v6.host());
    assertEquals(5999, v6.port());
    assertTrue(v6.tls());
  }

  @Test
  @DisplayName("a malformed URI fails naming the problem, never quoting the password")
  void malformedUri() {
    for (String bad : new String[] {"amqp://app:" + SECRET + "@ho st:5672/", "amqp://app:" + SECRET + "@host:56x2/",
        "amqp://app:" + SECRET + "%zz@host/", "amqp://app:" + SECRET + "@host/a/b", "amqp://app:" + SECRET + "@[::1/"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> RabbitMqSettings.builder().uri(bad), bad);
      assertTrue(e.getMessage().startsWith("uri "), e.getMessage());
      assertFalse(e.getMessage().contains(SECRET), e.getMessage());
    }
  }

  @Test
  @DisplayName("the password never appears in the settings, the adapter config, or configuration errors")
  void passwordMasked() {
    Map<String, String> values = new LinkedHashMap<>();
    values.put("uri", "amqp://app:" + SECRET + "@localhost:5672/");
    values.put("password", SECRET);
    values.put("tls.trust-store-password", SECRET);
    AdapterConfig config = config(values);
    assertFalse(config.toString().contains(SECRET), config.toString());
    RabbitMqSettings s = RabbitMqSettings.builder().uri("amqps://app:" + SECRET + "@localhost/").tls(true)
        .trustStore(Path.of("/nonexistent.p12"), SECRET).build();
    assertFalse(s.toString().contains(SECRET), s.toString());
    ConfigurationException bad = assertThrows(ConfigurationException.class,
        () -> RabbitMqTransportProvider.settings(config(Map.of("uri", "http://app:" + SECRET + "@host/"))));
    assertFalse(bad.getMessage().contains(SECRET), bad.getMessage());
    assertTrue(bad.getMessage().contains("courier.rabbitmq.uri"), bad.getMessage());
  }

  @Test
  @DisplayName("a failed connection names host, port and user but not the password")
  void connectFailureMasksPassword() {
    int closedPort = dev.courier.testsupport.Ports.free();
    CourierException e = assertThrows(CourierException.class, () -> RabbitMqTransport.connect(
        RabbitMqSettings.builder().host("127.0.0.1").port(closedPort).username("app").password(SECRET)
            .connectionTimeout(java.time.Duration.ofSeconds(2)).build()));
    assertTrue(e.getMessage().contains("127.0.0.1:" + closedPort) && e.getMessage().contains("'app'"), e.getMessage());
    assertFalse(e.getMessage().contains(SECRET), e.getMessage());
  }

  @Test
  @DisplayName("TLS settings are applied to the connection factory: TLS on, the given trust store loaded")
  void tlsApplied(@TempDir Path dir) throws Exception {
    Path store = dir.resolve("trust.p12");
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    try (var out = Files.newOutputStream(store)) {
      ks.store(out, "changeit".toCharArray());
    }
    RabbitMqSettings s = RabbitMqTransportProvider.settings(config(Map.of(
        "host", "rabbit.example", "tls.enabled", "true", "tls.trust-store", store.toString(),
        "tls.trust-store-password", "changeit", "tls.verify-hostname", "true")));
    assertTrue(s.tls() && s.verifyHostname());
    assertEquals(5671, s.port());
    ConnectionFactory f = RabbitMqTransport.connectionFactory(s);
    assertTrue(f.isSSL(), "the factory does not use TLS");
    assertEquals(5671, f.getPort());
    ConfigurationException wrongPassword = assertThrows(ConfigurationException.class,
        () -> RabbitMqTransport.connectionFactory(s.toBuilder().trustStore(store, "wrong").build()));
    assertTrue(wrongPassword.getMessage().contains("trust store"), wrongPassword.getMessage());
    assertThrows(ConfigurationException.class, () -> RabbitMqTransportProvider.settings(config(Map.of(
        "tls.trust-store", store.toString()))), "a trust store without TLS is a configuration error");
  }

  @Test
  @DisplayName("bad values fail with a ConfigurationException naming the key")
  void badValues() {
    ConfigurationException type = assertThrows(ConfigurationException.class,
        () -> RabbitMqTransportProvider.settings(config(Map.of("queue-type", "stream"))));
    assertTrue(type.getMessage().contains("courier.rabbitmq.queue-type"), type.getMessage());
    ConfigurationException pool = assertThrows(ConfigurationException.class,
        () -> RabbitMqTransportProvider.settings(config(Map.of("channel-pool-size", "0"))));
    assertTrue(pool.getMessage().contains("channel-pool-size"), pool.getMessage());
    assertEquals(QueueType.CLASSIC,
        RabbitMqTransportProvider.settings(config(Map.of("queue-type", "classic"))).queueType());
  }
}
