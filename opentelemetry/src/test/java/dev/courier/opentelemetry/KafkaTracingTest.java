package dev.courier.opentelemetry;

import dev.courier.kafka.KafkaTransport;
import dev.courier.spi.Transport;
import dev.courier.testsupport.KafkaBroker;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;

/** On the run's Kafka broker (a child JVM started by test-support, gone with this JVM and its log directory). */
@DisplayName("Tracing on Kafka (broker started by the build)")
class KafkaTracingTest extends TracingContract {
  @Override
  Transport transport() {
    return KafkaTransport.builder(KafkaBroker.shared().bootstrapServers())
        .clientProperty("consumer.session.timeout.ms", "6000")
        .clientProperty("consumer.heartbeat.interval.ms", "300")
        .clientProperty("producer.linger.ms", "1")
        .build();
  }

  @Override
  String uniqueTopic() {
    return "tracing-" + UUID.randomUUID();
  }

  @Override
  Duration redriveIdleTimeout() {
    return Duration.ofSeconds(5); // a new consumer group joins in a few seconds
  }
}
