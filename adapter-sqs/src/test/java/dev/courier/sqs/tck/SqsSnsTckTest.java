package dev.courier.sqs.tck;

import dev.courier.Capabilities;
import dev.courier.Capability;
import dev.courier.Courier;
import dev.courier.config.CourierConfig;
import dev.courier.sqs.SqsTestSupport;
import dev.courier.tck.BrokerControl;
import dev.courier.tck.CourierTck;
import dev.courier.tck.TckFixture;
import dev.courier.testsupport.FauxqsServer;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;

/**
 * The SQS adapter in the SNS topology (its default) against the whole TCK on fauxqs, an SNS + SQS
 * server, created by name from configuration. Rules run on the shared in-memory server; the fault
 * rules on a persistent one of their own. The report is {@code sqs-sns.json}.
 */
@DisplayName("SQS adapter (SNS topology) passes the Courier TCK")
class SqsSnsTckTest extends CourierTck {
  private static final Duration LEASE = Duration.ofSeconds(3);
  private static FauxqsServer persistent;

  private static synchronized FauxqsServer persistent() {
    if (persistent == null) {
      persistent = FauxqsServer.persistent();
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
    FauxqsServer server = faultRule ? persistent() : FauxqsServer.shared();
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
            .with(Capability.FAN_OUT, Capability.PERSISTENT, Capability.DELAYED_REDELIVERY, Capability.DELAYED_PUBLISH)
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
