package dev.courier.kafka;

import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * Fits the producer's timeouts under Courier's publish timeout, so a publish Courier reports failed
 * is not stored later by a producer still retrying it (only a record in flight at that moment may
 * be): {@code delivery.timeout.ms} at most the publish timeout less a tenth (at most 1 s),
 * {@code request.timeout.ms} at most delivery less linger (Kafka's own rule).
 */
final class ProducerTimeouts {
  private static final Duration MAX_MARGIN = Duration.ofSeconds(1);

  private ProducerTimeouts() {}

  /** Lowers the producer's timeouts to fit; an {@link IllegalArgumentException} naming the settings if nothing fits. */
  static void fit(Properties producer, Duration publishTimeout) {
    long linger = millis(producer, ProducerConfig.LINGER_MS_CONFIG);
    Duration margin = publishTimeout.dividedBy(10).compareTo(MAX_MARGIN) < 0 ? publishTimeout.dividedBy(10) : MAX_MARGIN;
    long bound = publishTimeout.minus(margin).toMillis(); // the margin kept whole, never rounded down
    long delivery = Math.min(millis(producer, ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG), bound);
    long request = Math.min(millis(producer, ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG), delivery - linger);
    if (request < 1) {
      throw new IllegalArgumentException("the publish timeout (courier.publish-timeout) " + publishTimeout
          + " leaves the Kafka producer " + delivery + " ms to deliver a record, no more than its linger.ms of " + linger
          + " ms; raise the publish timeout or lower linger.ms");
    }
    producer.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Long.toString(delivery));
    producer.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(request));
  }

  private static long millis(Properties producer, String name) {
    Object value = producer.get(name);
    if (value == null) {
      value = ProducerConfig.configDef().defaultValues().get(name);
    }
    try {
      return Long.parseLong(String.valueOf(value).trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("the Kafka producer's " + name + " must be a number of milliseconds, was '"
          + value + "'", e);
    }
  }
}
