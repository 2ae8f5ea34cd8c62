package dev.courier.kafka.tck;

import dev.courier.Capabilities;
import dev.courier.Capability;
import dev.courier.Courier;
import dev.courier.kafka.KafkaTestSupport;
import dev.courier.tck.BrokerControl;
import dev.courier.tck.CourierTck;
import dev.courier.tck.TckFixture;
import dev.courier.testsupport.KafkaBroker;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;

/**
 * The Kafka adapter against the whole TCK, on the run's broker (a KRaft node in a child JVM that
 * the tests start themselves), created by name from configuration as an application would. The
 * fault rules stop and restart that broker on the same ports and log directory.
 */
@DisplayName("Kafka adapter passes the Courier TCK")
class KafkaTckTest extends CourierTck {
  @Override
  protected TckFixture fixture() {
    KafkaBroker broker = KafkaTestSupport.broker();
    return new TckFixture() {
      @Override
      public Courier newCourier() {
        return KafkaTestSupport.newCourier();
      }

      @Override
      public Optional<Map<String, String>> childConfiguration() {
        return Optional.of(KafkaTestSupport.settings());
      }

      @Override
      public Duration crashRedeliveryBound() {
        return Duration.ofSeconds(20); // session timeout 10 s (KafkaTestSupport), then a rebalance
      }

      @Override
      public Capabilities capabilities() {
        return Capabilities.builder()
            .with(Capability.FAN_OUT, Capability.ORDERED_BY_KEY, Capability.PERSISTENT,
                Capability.DELAYED_REDELIVERY, Capability.DELAYED_PUBLISH, Capability.PEEK)
            .build();
      }

      @Override
      public Optional<BrokerControl> brokerControl() {
        return Optional.of(new BrokerControl() {
          @Override
          public void stop() {
            broker.stop();
          }

          @Override
          public void start() {
            broker.start();
          }
        });
      }
    };
  }
}
