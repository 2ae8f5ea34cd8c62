package dev.courier.kafka;

import dev.courier.Courier;
import dev.courier.config.CourierConfig;
import dev.courier.testsupport.KafkaBroker;

/** The run's shared broker (started by the build's tests themselves) and Couriers configured for it. */
public final class KafkaTestSupport {
  private KafkaTestSupport() {}

  public static KafkaBroker broker() {
    return KafkaBroker.shared();
  }

  /** Configuration as an application writes it, with test-friendly group timing. */
  public static CourierConfig.Builder config() {
    return CourierConfig.builder()
        .set("courier.broker", "kafka")
        .set("courier.kafka.bootstrap-servers", broker().bootstrapServers())
        .set("courier.kafka.client.consumer.session.timeout.ms", "6000")
        .set("courier.kafka.client.consumer.heartbeat.interval.ms", "300")
        .set("courier.kafka.client.producer.linger.ms", "1");
  }

  public static Courier newCourier() {
    return Courier.fromConfig(config().build());
  }

  /** A transport built in code, for the adapter's own tests. */
  public static KafkaSettings.Builder transport() {
    return KafkaTransport.builder(broker().bootstrapServers())
        .clientProperty("consumer.session.timeout.ms", "6000")
        .clientProperty("consumer.heartbeat.interval.ms", "300")
        .clientProperty("producer.linger.ms", "1");
  }
}
