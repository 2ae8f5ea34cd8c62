package dev.courier.kafka.internal;

import dev.courier.kafka.KafkaTestSupport;
import dev.courier.kafka.KafkaTransport;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * A transport (one partition per topic it creates) and a probe on the shared test broker, opened
 * once per test class. Test classes run one after another, so the static fields are never shared
 * by two classes at once.
 */
abstract class SharedBrokerTest {
  static KafkaTransport transport;
  static KafkaProbe probe;

  @BeforeAll
  static void connect() {
    transport = KafkaTestSupport.transport().partitions(1).build();
    probe = new KafkaProbe();
  }

  @AfterAll
  static void disconnect() {
    transport.close();
    probe.close();
  }

  /** A topic or group name no other test uses: {@code <prefix>-<purpose>-<random>}. */
  static String unique(String prefix, String purpose) {
    return prefix + "-" + purpose + "-" + UUID.randomUUID().toString().substring(0, 8);
  }
}
