package dev.courier.sqs.tck;

import dev.courier.Capabilities;
import dev.courier.Capability;
import dev.courier.Courier;
import dev.courier.config.CourierConfig;
import dev.courier.sqs.SqsTestSupport;
import dev.courier.tck.BrokerControl;
import dev.courier.tck.CourierTck;
import dev.courier.tck.TckFixture;
import dev.courier.testsupport.ElasticMqServer;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;

/**
 * The SQS adapter (topology {@code queue}) against the whole TCK on ElasticMQ, created by name from
 * configuration as an application would. Rules run on the shared in-memory server; the fault rules,
 * which stop and start the server, on a persistent one of their own.
 */
@DisplayName("SQS adapter (queue topology) passes the Courier TCK")
class SqsTckTest extends CourierTck {
  private static final Duration LEASE = Duration.ofSeconds(3);
  private static ElasticMqServer persistent;

  private static synchronized ElasticMqServer persistent() {
    if (persistent == null) {
      persistent = ElasticMqServer.persistent();
    }
    return persistent;
  }

  @AfterAll
  static synchronized void stopPersistent() {
    if (persistent != null) {
      persistent.close();
      persistent = null;
    }
  }

  @Override
  protected TckFixture fixture() {
    boolean faultRule = isFaultRule();
    ElasticMqServer server = faultRule ? persistent() : ElasticMqServer.shared();
    Map<String, String> config = SqsTestSupport.config(server, LEASE);
    return new TckFixture() {
      @Override
      public Courier newCourier() {
        CourierConfig.Builder b = CourierConfig.builder();
        config.forEach(b::set);
        return Courier.fromConfig(b.build());
      }

      @Override
      public Capabilities capabilities() {
        return Capabilities.builder()
            .with(Capability.PERSISTENT, Capability.DELAYED_REDELIVERY, Capability.DELAYED_PUBLISH)
            .build();
      }

      @Override
      public boolean emulator() {
        return true;
      }

      @Override
      public Optional<Duration> lease() {
        return Optional.of(LEASE);
      }

      @Override
      public Optional<Map<String, String>> childConfiguration() {
        return Optional.of(config);
      }

      @Override
      public Duration crashRedeliveryBound() {
        return LEASE.plusSeconds(5);
      }

      @Override
      public Optional<BrokerControl> brokerControl() {
        if (!faultRule) {
          return Optional.empty();
        }
        return Optional.of(new BrokerControl() {
          @Override
          public void stop() {
            server.stop();
          }

          @Override
          public void start() {
            server.start();
          }
        });
      }
    };
  }
}
