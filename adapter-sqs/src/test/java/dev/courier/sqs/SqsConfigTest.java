package dev.courier.sqs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.Capabilities;
import dev.courier.ConfigurationException;
import dev.courier.config.AdapterConfig;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("SQS configuration is parsed from its declared keys, checked, and never prints the secret key")
class SqsConfigTest {
  private static SqsSettings settings(Map<String, String> values) {
    return SqsTransportProvider.settings(AdapterConfig.of("sqs", SqsKeys.ALL, values));
  }

  @Test
  @DisplayName("every key reaches the settings, and the secret key is masked in toString")
  void keysReachSettings() {
    Map<String, String> v = new HashMap<>();
    v.put("region", "eu-west-1");
    v.put("endpoint", "http://127.0.0.1:9324");
    v.put("access-key-id", "AKIDEXAMPLE");
    v.put("secret-access-key", "s3cr3t-value");
    v.put("queue-prefix", "app_");
    v.put("visibility-timeout", "45s");
    v.put("pollers", "3");
    v.put("wait-time", "5s");
    v.put("max-message-bytes", "262144");
    v.put("fifo-topics", "orders,payments");
    SqsSettings s = settings(v);
    assertEquals("eu-west-1", s.region());
    assertEquals("app_", s.queuePrefix());
    assertEquals(Duration.ofSeconds(45), s.visibilityTimeout());
    assertEquals(3, s.pollers());
    assertEquals(Duration.ofSeconds(5), s.waitTime());
    assertEquals(262144, s.maxMessageBytes());
    assertEquals(java.util.Set.of("orders", "payments"), s.fifoTopics());
    assertFalse(s.toString().contains("s3cr3t"), s.toString());
    assertFalse(s.toString().contains("AKIDEXAMPLE"), s.toString());
  }

  @Test
  @DisplayName("bad values fail with a ConfigurationException naming the key or the rule")
  void badValues() {
    assertThrows(ConfigurationException.class, () -> settings(Map.of("visibility-timeout", "1500ms")));
    assertThrows(ConfigurationException.class, () -> settings(Map.of("wait-time", "30s")));
    assertThrows(ConfigurationException.class, () -> settings(Map.of("queue-prefix", "a.b")));
    assertThrows(ConfigurationException.class, () -> settings(Map.of("endpoint", "ftp://x")));
    assertThrows(ConfigurationException.class, () -> settings(Map.of("secret-access-key", "x")));
    assertThrows(ConfigurationException.class, () -> settings(Map.of("topology", "fanout")));
    assertThrows(ConfigurationException.class, () -> settings(Map.of("fifo-topics", "orders.fifo")));
  }

  @Test
  @DisplayName("the declared limits leave room for Base64 and the adapter's attribute within the queue's size limit")
  void limitsFit() {
    for (int max : new int[] {16 * 1024, 256 * 1024, 1024 * 1024}) {
      Capabilities c = SqsTransport.capabilities(SqsSettings.builder().topology(SqsTopology.QUEUE).maxMessageBytes(max).build());
      var b = c.brokerLimits();
      long worst = 4L * ((b.maxMessageBytes() + 2) / 3) + SqsTransport.OVERHEAD_BYTES; // all of it as Base64
      assertTrue(worst <= max, "worst case " + worst + " exceeds " + max + " for " + b);
      assertEquals(Duration.ofSeconds(10), c.leaseRenewalInterval().orElseThrow());
    }
  }

  @Test
  @DisplayName("with FIFO topics the longest redelivery delay is 11 h, so a FIFO nack or defer never outlasts SQS's 12 h visibility cap (no copy behind the key's later messages); 1 day without")
  void fifoCapsRedeliveryDelay() {
    SqsSettings.Builder b = SqsSettings.builder().topology(SqsTopology.QUEUE);
    assertEquals(Duration.ofDays(1), SqsTransport.capabilities(b.build()).maxRedeliveryDelay());
    assertEquals(Duration.ofHours(11), SqsTransport.capabilities(b.fifoTopics("orders").build()).maxRedeliveryDelay());
  }
}
