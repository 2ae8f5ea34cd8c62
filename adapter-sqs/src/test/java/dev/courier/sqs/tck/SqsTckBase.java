package dev.courier.sqs.tck;

import dev.courier.Capabilities;
import dev.courier.Capability;
import dev.courier.Courier;
import dev.courier.config.CourierConfig;
import dev.courier.sqs.SqsTestSupport;
import dev.courier.sqs.SqsTopology;
import dev.courier.tck.BrokerControl;
import dev.courier.tck.CourierTck;
import dev.courier.tck.TckFixture;
import dev.courier.testsupport.SqsServer;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;

/**
 * The SQS adapter against the Courier TCK, created by name from configuration as an application
 * would, in one topology on one server kind: rules run on the shared in-memory server, the fault
 * rules (which stop and start the server) on a persistent one of the run's own. A subclass names
 * the servers, the topology and the capabilities it expects.
 */
abstract class SqsTckBase extends CourierTck {
  static final Duration LEASE = Duration.ofSeconds(3);
  private static SqsServer persistent; // one test class runs at a time in a fork

  private final Supplier<SqsServer> shared;
  private final Supplier<SqsServer> newPersistent;
  private final SqsTopology topology;
  private final Capability[] features;

  /**
   * @param shared the in-memory server shared by the JVM's tests
   * @param newPersistent a new persistent server, for the fault rules
   * @param features what the adapter must declare (TCK-0.1)
   */
  SqsTckBase(Supplier<SqsServer> shared, Supplier<SqsServer> newPersistent, SqsTopology topology,
      Capability... features) {
    this.shared = shared;
    this.newPersistent = newPersistent;
    this.topology = topology;
    this.features = features;
  }

  /** Configuration beyond the server's, the topology and the lease. */
  Map<String, String> extraConfig() {
    return Map.of();
  }

  /** A Courier from {@code config}; subclasses may wrap its transport. */
  Courier newCourier(Map<String, String> config) {
    CourierConfig.Builder b = CourierConfig.builder();
    config.forEach(b::set);
    return Courier.fromConfig(b.build());
  }

  private SqsServer persistent() {
    synchronized (SqsTckBase.class) {
      if (persistent == null) {
        persistent = newPersistent.get();
      }
      return persistent;
    }
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
    SqsServer server = faultRule ? persistent() : shared.get();
    Map<String, String> config = new HashMap<>(SqsTestSupport.config(server, topology, LEASE));
    config.putAll(extraConfig());
    return new TckFixture() {
      @Override
      public Courier newCourier() {
        return SqsTckBase.this.newCourier(config);
      }

      @Override
      public Capabilities capabilities() {
        return Capabilities.builder().with(features).build();
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
        return Optional.of(Map.copyOf(config));
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
