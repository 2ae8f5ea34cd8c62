package dev.courier.inmemory.tck;

import dev.courier.Capabilities;
import dev.courier.Capability;
import dev.courier.Courier;
import dev.courier.config.CourierConfig;
import dev.courier.inmemory.InMemoryBroker;
import dev.courier.tck.CourierTck;
import dev.courier.tck.TckFixture;
import org.junit.jupiter.api.DisplayName;

/**
 * The in-memory adapter against the whole TCK, created by name from configuration as an
 * application would. Each rule gets its own named in-process broker, shared by every Courier the
 * rule opens. The fault rules stop and start it with {@link InMemoryBroker#stop()} (a simulated
 * outage that keeps stored messages); it does not survive the JVM, so it does not claim PERSISTENT.
 */
@DisplayName("In-memory adapter passes the Courier TCK")
class InMemoryTckTest extends CourierTck {
  @Override
  protected TckFixture fixture() {
    String broker = "tck-" + java.util.UUID.randomUUID();
    return new TckFixture() {
      @Override
      public Courier newCourier() {
        return Courier.fromConfig(CourierConfig.builder()
            .set("courier.broker", "inmemory")
            .set("courier.inmemory.broker-name", broker)
            .set("courier.inmemory.ack-timeout", "2s")
            .build());
      }

      @Override
      public java.util.Optional<java.time.Duration> lease() {
        return java.util.Optional.of(java.time.Duration.ofSeconds(2)); // the ack timeout above
      }

      @Override
      public Capabilities capabilities() {
        return Capabilities.builder()
            .with(Capability.FAN_OUT, Capability.ORDERED_BY_KEY, Capability.DELAYED_REDELIVERY,
                Capability.DELAYED_PUBLISH, Capability.PEEK)
            .build();
      }

      @Override
      public java.util.Optional<dev.courier.tck.BrokerControl> brokerControl() {
        return java.util.Optional.of(new dev.courier.tck.BrokerControl() {
          @Override
          public void stop() {
            InMemoryBroker.named(broker, 1_000_000, java.time.Duration.ofMinutes(5)).stop();
          }

          @Override
          public void start() {
            InMemoryBroker.named(broker, 1_000_000, java.time.Duration.ofMinutes(5)).start();
          }
        });
      }

      @Override
      public void close() {
        InMemoryBroker.discard(broker);
      }
    };
  }
}
