package dev.courier.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.ConfigurationException;
import dev.courier.Courier;
import dev.courier.Message;
import dev.courier.PayloadTooLargeException;
import dev.courier.config.AdapterConfig;
import dev.courier.kafka.internal.KafkaReceiver;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Kafka adapter configuration and limits")
class KafkaConfigTest {
  private static AdapterConfig config(Map<String, String> values) {
    return AdapterConfig.of("kafka", new KafkaTransportProvider().configKeys(), values);
  }

  @Test
  @DisplayName("the adapter is found by the name 'kafka'")
  void registeredByName() {
    assertTrue(Courier.availableAdapters().contains("kafka"), "adapters: " + Courier.availableAdapters());
  }

  @Test
  @DisplayName("SASL and SSL secrets, and secret client properties, never appear in toString")
  void secretsMasked() {
    KafkaSettings s = KafkaTransportProvider.settings(config(Map.of(
        "bootstrap-servers", "127.0.0.1:9092",
        "security-protocol", "SASL_SSL",
        "sasl-mechanism", "SCRAM-SHA-512",
        "sasl-username", "app",
        "sasl-password", "hunter2-sasl",
        "ssl-truststore-location", "/etc/ts.jks",
        "ssl-truststore-password", "hunter2-ts",
        "client.sasl.jaas.config", "x required password=\"hunter2-jaas\";",
        "client.producer.linger.ms", "7"))).settings();
    String shown = s.toString() + config(Map.of("bootstrap-servers", "h:1", "sasl-password", "hunter2-sasl")).toString();
    assertFalse(shown.contains("hunter2"), "a secret leaked: " + shown);
    assertTrue(shown.contains("linger.ms"), "harmless client properties should be shown: " + shown);
  }

  @Test
  @DisplayName("client properties holding key material or passphrases are masked too (ssl.keystore.key, *passphrase*)")
  void keyMaterialMasked() {
    KafkaSettings s = KafkaTransport.builder("127.0.0.1:9092")
        .clientProperty("ssl.keystore.key", "-----BEGIN PRIVATE KEY----- hunter2-pem")
        .clientProperty("ssl.keystore.certificate.chain", "-----BEGIN CERTIFICATE----- public")
        .clientProperty("sasl.oauthbearer.assertion.private.key.passphrase", "hunter2-pass")
        .clientProperty("producer.linger.ms", "7")
        .settings();
    String shown = s.toString();
    assertFalse(shown.contains("hunter2"), "a secret leaked: " + shown);
    assertTrue(shown.contains("linger.ms=7"), "harmless client properties should be shown: " + shown);
  }

  @Test
  @DisplayName("a keystore or truststore set again without passwords drops the earlier store's passwords")
  void storePasswordsReplacedWithTheStore() {
    KafkaSettings s = KafkaTransport.builder("127.0.0.1:9092")
        .keystore("/a.jks", "pw-a", "key-a").keystore("/b.jks", null, null)
        .truststore("/ta.jks", "pw-ta").truststore("/tb.jks", null)
        .settings();
    Properties consumer = s.consumerProperties("g", 10);
    assertEquals("/b.jks", consumer.get("ssl.keystore.location"));
    assertEquals(null, consumer.get("ssl.keystore.password"));
    assertEquals(null, consumer.get("ssl.key.password"));
    assertEquals("/tb.jks", consumer.get("ssl.truststore.location"));
    assertEquals(null, consumer.get("ssl.truststore.password"));
  }

  @Test
  @DisplayName("a consumer client property overrides Courier's consumer timing (session, heartbeat), never its group, manual commits, offset reset or assignor")
  void consumerDefaultsCanBeOverridden() {
    KafkaSettings s = KafkaTransport.builder("127.0.0.1:9092")
        .clientProperty("consumer.session.timeout.ms", "6000")
        .clientProperty("consumer.heartbeat.interval.ms", "300")
        .clientProperty("consumer.group.id", "someone-else")
        .clientProperty("consumer.enable.auto.commit", "true")
        .clientProperty("consumer.auto.offset.reset", "latest")
        .clientProperty("consumer.partition.assignment.strategy", "org.apache.kafka.clients.consumer.RoundRobinAssignor")
        .settings();
    Properties consumer = s.consumerProperties("g", 10);
    assertEquals("6000", consumer.get("session.timeout.ms"));
    assertEquals("300", consumer.get("heartbeat.interval.ms"));
    assertEquals("g", consumer.get("group.id"));
    assertEquals("false", consumer.get("enable.auto.commit"));
    assertEquals("earliest", consumer.get("auto.offset.reset"), "a group's delay topic must be read whole");
    assertEquals("org.apache.kafka.clients.consumer.RangeAssignor", consumer.get("partition.assignment.strategy"),
        "a key's redeliveries must come back to the member that owns the key");
    Properties defaults = KafkaTransport.builder("127.0.0.1:9092").settings().consumerProperties("g", 10);
    assertEquals("10000", defaults.get("session.timeout.ms"));
    assertEquals("1000", defaults.get("heartbeat.interval.ms"));
  }

  @Test
  @DisplayName("a URI password in a client property under a harmless name never appears in toString")
  void uriPasswordMasked() {
    KafkaSettings s = KafkaTransport.builder("127.0.0.1:9092")
        .clientProperty("sasl.oauthbearer.jwks.endpoint.url", "https://id:hunter2-uri@idp.example/jwks")
        .settings();
    String shown = s.toString();
    assertFalse(shown.contains("hunter2"), "a secret leaked: " + shown);
    assertTrue(shown.contains("idp.example/jwks"), "the rest of the URL should be shown: " + shown);
  }

  @Test
  @DisplayName("SASL settings become a JAAS line for every client; passthrough properties reach only their client kind")
  void clientPropertiesPassThrough() throws Exception {
    KafkaSettings s = KafkaTransportProvider.settings(config(Map.of(
        "bootstrap-servers", "127.0.0.1:9092",
        "sasl-mechanism", "PLAIN", "sasl-username", "app", "sasl-password", "pw\"q",
        "client.producer.linger.ms", "7",
        "client.consumer.fetch.min.bytes", "3",
        "client.metadata.max.age.ms", "1000",
        "client.producer.acks", "0"))).settings();
    var producer = s.producerProperties();
    var consumer = s.consumerProperties("g", 10);
    assertEquals("7", producer.get("linger.ms"));
    assertEquals(null, consumer.get("linger.ms"));
    assertEquals("3", consumer.get("fetch.min.bytes"));
    assertEquals("1000", consumer.get("metadata.max.age.ms"));
    assertEquals("1000", producer.get("metadata.max.age.ms"));
    assertEquals("all", producer.get("acks"), "acks=all is what a confirmed publish means; it cannot be overridden");
    assertEquals("false", consumer.get("enable.auto.commit"));
    assertTrue(String.valueOf(producer.get("sasl.jaas.config")).contains("password=\"pw\\\"q\""), "JAAS escaping");
  }

  @Test
  @DisplayName("bad values fail with a ConfigurationException naming the key, before any connection")
  void badValues() {
    ConfigurationException e = assertThrows(ConfigurationException.class, () -> KafkaTransportProvider.settings(
        config(Map.of("bootstrap-servers", "h:1", "partitions", "0"))));
    assertTrue(e.getMessage().contains("partitions"), e.getMessage());
    e = assertThrows(ConfigurationException.class, () -> KafkaTransportProvider.settings(
        config(Map.of("bootstrap-servers", "h:1", "sasl-mechanism", "PLAIN"))));
    assertTrue(e.getMessage().contains("sasl-username"), e.getMessage());
    assertThrows(ConfigurationException.class, () -> config(Map.of()), "bootstrap-servers is required");
  }

  @Test
  @DisplayName("a malformed bootstrap-servers fails with a ConfigurationException naming the key and the value, before any client exists")
  void malformedBootstrapServers() {
    for (String bad : List.of("localhost", ":::", "host:0", "host:99999", "host:-1", "host:", "host:x", "h:1,,h:2", "h:1,",
        ",h:1", " , ", "[::1]", "[]:9092", "[::1:9092", "::1:9092", "PLAINTEXT://h:9092", "h h:1")) {
      ConfigurationException e = assertThrows(ConfigurationException.class,
          () -> new KafkaTransportProvider().create(config(Map.of("bootstrap-servers", bad))), "accepted '" + bad + "'");
      assertTrue(e.getMessage().contains("courier.kafka.bootstrap-servers") && e.getMessage().contains("'" + bad + "'"),
          e.getMessage());
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KafkaTransport.builder("localhost"));
    assertTrue(e.getMessage().contains("bootstrapServers") && e.getMessage().contains("localhost"), e.getMessage());
  }

  @Test
  @DisplayName("well-formed bootstrap-servers are accepted: IPv4, bracketed IPv6, host names, several servers")
  void wellFormedBootstrapServers() {
    for (String good : List.of("127.0.0.1:9092", "[::1]:9092", "kafka-1.example.com:1", "h:65535", "[fe80::1%eth0]:9092")) {
      assertEquals(good, KafkaTransportProvider.settings(config(Map.of("bootstrap-servers", good))).settings().bootstrapServers());
    }
    assertEquals("a.example:9092,[::1]:9093", KafkaTransportProvider.settings(
        config(Map.of("bootstrap-servers", " a.example:9092 , [::1]:9093 "))).settings().bootstrapServers());
  }

  @Test
  @DisplayName("the producer gives up before Courier's publish timeout: delivery.timeout.ms is kept below courier.publish-timeout")
  void deliveryTimeoutBelowPublishTimeout() {
    long delivery = deliveryMs(config(Map.of("bootstrap-servers", "h:1")));
    assertTrue(delivery < 30_000 && delivery >= 25_000, "defaults (30 s each) gave delivery.timeout.ms " + delivery);
    delivery = deliveryMs(config(Map.of("bootstrap-servers", "h:1", "request-timeout", "1s")).withPublishTimeout(Duration.ofSeconds(3)));
    assertTrue(delivery < 3_000 && delivery >= 2_000, "publish timeout 3 s gave delivery.timeout.ms " + delivery);
    assertEquals(5_000, deliveryMs(config(Map.of("bootstrap-servers", "h:1", "delivery-timeout", "5s"))),
        "a delivery timeout below the publish timeout is kept");
    // The margin is a tenth of the publish timeout (at most 1 s), kept whole: never rounded down to 0.
    assertEquals(904, deliveryMs(config(Map.of("bootstrap-servers", "h:1")).withPublishTimeout(Duration.ofMillis(1005))));
    assertEquals(1799, deliveryMs(config(Map.of("bootstrap-servers", "h:1"))
        .withPublishTimeout(Duration.ofNanos(1_999_500_000))));
    assertEquals(13, deliveryMs(config(Map.of("bootstrap-servers", "h:1", "client.producer.linger.ms", "0"))
        .withPublishTimeout(Duration.ofMillis(15))));
    delivery = deliveryMs(config(Map.of("bootstrap-servers", "h:1", "client.producer.delivery.timeout.ms", "120000")));
    assertTrue(delivery < 30_000, "a native delivery.timeout.ms is capped too, was " + delivery);
  }

  @Test
  @DisplayName("a publish timeout below the request timeout shortens the producer's requests to fit Kafka's rule delivery >= linger + request")
  void requestTimeoutFitsUnderDeliveryTimeout() {
    Properties p = KafkaTransportProvider.settings(config(Map.of("bootstrap-servers", "h:1", "client.producer.linger.ms", "100"))
        .withPublishTimeout(Duration.ofSeconds(5))).settings().producerProperties();
    long delivery = Long.parseLong(p.getProperty("delivery.timeout.ms"));
    long request = Long.parseLong(p.getProperty("request.timeout.ms"));
    assertTrue(delivery < 5_000 && request > 0 && delivery >= 100 + request, "delivery " + delivery + ", request " + request);
  }

  @Test
  @DisplayName("a publish timeout the producer cannot give up within (linger.ms too long) fails at start-up, naming both")
  void impossiblePublishTimeoutRejected() {
    ConfigurationException e = assertThrows(ConfigurationException.class, () -> new KafkaTransportProvider().create(
        config(Map.of("bootstrap-servers", "h:1", "client.producer.linger.ms", "5000")).withPublishTimeout(Duration.ofSeconds(2))));
    assertTrue(e.getMessage().contains("courier.publish-timeout") && e.getMessage().contains("linger.ms"), e.getMessage());
  }

  private static long deliveryMs(AdapterConfig config) {
    return Long.parseLong(KafkaTransportProvider.settings(config).settings().producerProperties()
        .getProperty("delivery.timeout.ms"));
  }

  @Test
  @DisplayName("a record over the broker's message.max.bytes is refused before sending, naming the limit")
  void oversizeRecordRefused() {
    try (KafkaTransport t = KafkaTestSupport.transport().build()) {
      assertTrue(t.capabilities().maxPayloadBytes() < t.messageMaxBytes(), "payload limit leaves room for headers");
      Message hugeKey = Message.builder().key("k".repeat(t.messageMaxBytes())).payload(new byte[1]).build();
      CompletableFuture<Void> f = t.send("kcfg-oversize", hugeKey);
      CompletionException e = assertThrows(CompletionException.class, f::join);
      assertTrue(e.getCause() instanceof PayloadTooLargeException, "failed with " + e.getCause());
      assertTrue(e.getCause().getMessage().contains("message.max.bytes"), e.getCause().getMessage());
    }
  }

  @Test
  @DisplayName("receiver settings carry the configured timing")
  void receiverSettings() {
    KafkaReceiver.Settings r = KafkaTransportProvider.settings(config(Map.of("bootstrap-servers", "h:1",
        "commit-interval", "50ms", "revoke-timeout", "2s", "max-delayed-held", "7"))).settings().receiverSettings();
    assertEquals(50, r.commitInterval().toMillis());
    assertEquals(2000, r.revokeTimeout().toMillis());
    assertEquals(7, r.maxDelayedHeld());
  }

  @Test
  @DisplayName("every tuning key reaches the clients, from configuration and from the builder alike")
  void everyTuningKeyApplies() {
    KafkaSettings configured = KafkaTransportProvider.settings(config(Map.ofEntries(Map.entry("bootstrap-servers", "h:1"),
        Map.entry("partitions", "7"), Map.entry("replication-factor", "2"), Map.entry("auto-create-topics", "false"),
        Map.entry("request-timeout", "3s"), Map.entry("delivery-timeout", "4s"), Map.entry("max-block", "6s"),
        Map.entry("commit-interval", "50ms"), Map.entry("revoke-timeout", "2s"), Map.entry("join-timeout", "8s"),
        Map.entry("close-timeout", "9s"), Map.entry("max-delayed-held", "11"), Map.entry("max-message-bytes", "2048"))))
        .settings();
    KafkaSettings built = KafkaTransport.builder("h:1").partitions(7).replicationFactor(2).autoCreateTopics(false)
        .requestTimeout(Duration.ofSeconds(3)).deliveryTimeout(Duration.ofSeconds(4)).maxBlock(Duration.ofSeconds(6))
        .commitInterval(Duration.ofMillis(50)).revokeTimeout(Duration.ofSeconds(2)).joinTimeout(Duration.ofSeconds(8))
        .closeTimeout(Duration.ofSeconds(9)).maxDelayedHeld(11).maxMessageBytes(2048).settings();
    for (KafkaSettings s : List.of(configured, built)) {
      assertEquals(7, s.partitions());
      assertEquals(Optional.of((short) 2), s.replicationFactor());
      assertEquals(false, s.autoCreateTopics());
      assertEquals(Optional.of(2048), s.maxMessageBytes());
      assertEquals("3000", s.adminProperties().get("request.timeout.ms"));
      Properties producer = s.producerProperties();
      assertEquals("4000", producer.get("delivery.timeout.ms"));
      assertEquals("6000", producer.get("max.block.ms"));
      assertEquals(new KafkaReceiver.Settings(Duration.ofMillis(50), Duration.ofSeconds(2), Duration.ofSeconds(8), 11,
          Duration.ofSeconds(9)), s.receiverSettings());
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> KafkaTransport.builder("h:1").set(KafkaKeys.SASL_PASSWORD, "saslPassword", "x"));
    assertTrue(e.getMessage().contains("not a tuning key"), e.getMessage());
  }
}
