package dev.courier.rabbitmq.tck;

import dev.courier.Capabilities;
import dev.courier.Capability;
import dev.courier.Courier;
import dev.courier.config.CourierConfig;
import dev.courier.tck.BrokerControl;
import dev.courier.tck.CourierTck;
import dev.courier.tck.TckFixture;
import dev.courier.testsupport.RabbitMqNode;
import dev.courier.testsupport.RabbitMqServer;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;

/**
 * The RabbitMQ adapter against the whole TCK, created by name from configuration as an application
 * would. Rules run against the shared server (127.0.0.1:5672, or one test-support starts); the
 * fault rules, which stop and start the broker, run against a private node of their own, started
 * once for this class, so the shared server is never restarted.
 */
@DisplayName("RabbitMQ adapter passes the Courier TCK")
class RabbitMqTckTest extends CourierTck {
  private static RabbitMqNode privateNode;

  private static synchronized RabbitMqNode privateNode() {
    if (privateNode == null) {
      privateNode = RabbitMqNode.start();
    }
    return privateNode;
  }

  @AfterAll
  static synchronized void stopPrivateNode() {
    if (privateNode != null) {
      privateNode.close();
      privateNode = null;
    }
    dev.courier.rabbitmq.LeftoverQueues.deleteStartingWith("tck-" + dev.courier.rabbitmq.LeftoverQueues.RUN + "-");
  }

  @Override
  protected TckFixture fixture() {
    boolean faultRule = isFaultRule();
    String uri = faultRule ? privateNode().uri() : RabbitMqServer.shared().uri();
    Map<String, String> config = Map.of(
        "courier.broker", "rabbitmq",
        "courier.rabbitmq.uri", uri,
        "courier.rabbitmq.connection-name", "courier-tck",
        "courier.rabbitmq.recovery-interval", "500ms",
        "courier.rabbitmq.publish-timeout", "5s");
    return new TckFixture() {
      @Override
      public Courier newCourier() {
        CourierConfig.Builder b = CourierConfig.builder();
        config.forEach(b::set);
        return Courier.fromConfig(b.build());
      }

      @Override
      public Optional<Map<String, String>> childConfiguration() {
        return Optional.of(config);
      }

      @Override
      public Duration crashRedeliveryBound() {
        return Duration.ofSeconds(5); // the broker returns a dead connection's deliveries at once
      }

      @Override
      public String uniqueName(String purpose) {
        return "tck-" + dev.courier.rabbitmq.LeftoverQueues.RUN + "-" + purpose + "-"
            + Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong() & 0xFFFFFFFFFFL);
      }

      @Override
      public Capabilities capabilities() {
        return Capabilities.builder()
            .with(Capability.FAN_OUT, Capability.ORDERED_BY_KEY, Capability.PERSISTENT,
                Capability.DELAYED_REDELIVERY, Capability.DELAYED_PUBLISH)
            .build();
      }

      @Override
      public Optional<BrokerControl> brokerControl() {
        if (!faultRule) {
          return Optional.empty();
        }
        RabbitMqNode node = privateNode();
        return Optional.of(new BrokerControl() {
          @Override
          public void stop() {
            node.stop();
          }

          @Override
          public void start() {
            node.restart();
          }
        });
      }
    };
  }
}
