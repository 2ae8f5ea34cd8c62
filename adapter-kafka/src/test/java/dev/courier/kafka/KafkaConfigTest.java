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
import java.util.Map;
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
}
