package dev.courier.inmemory.tck;

import dev.courier.Capabilities;
import dev.courier.Capability;
import dev.courier.Courier;
import dev.courier.SubscriptionOptions;
import dev.courier.inmemory.InMemoryBroker;
import dev.courier.inmemory.InMemoryTransport;
import dev.courier.tck.BrokerControl;
import dev.courier.inmemory.tck.BrokenTransport.Flaw;
import dev.courier.tck.CourierTck;
import dev.courier.tck.CrashingConsumer;
import dev.courier.tck.TckFixture;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The TCK against the in-memory adapter with one {@link Flaw}, run only by {@link TckSelfTest}
 * through the JUnit Platform Launcher. Its name matches none of surefire's test patterns, and
 * {@link OnlyInSelfTest} disables it anywhere else, so a broken run never counts as a test or
 * overwrites the in-memory report (its reports are named {@code inmemory-broken-<flaw>}).
 */
@ExtendWith(BrokenInMemoryTck.OnlyInSelfTest.class)
class BrokenInMemoryTck extends CourierTck {
  /** Configuration parameter naming the flaw; set by {@link TckSelfTest}. */
  static final String FLAW = "courier.tck.self-test.flaw";

  /** The in-memory broker's ack timeout, its lease; TCK-12.1 keeps a handler busy for three. */
  private static final Duration LEASE = Duration.ofSeconds(2);

  private final Flaw flaw;

  BrokenInMemoryTck(Flaw flaw) {
    this.flaw = flaw;
  }

  @Override
  protected TckFixture fixture() {
    Flaw current = flaw;
    String broker = "tck-broken-" + UUID.randomUUID();
    BrokenTransport.Outage outage = current.simulatesOutage() ? new BrokenTransport.Outage(broker, current) : null;
    List<Courier> crashed = new CopyOnWriteArrayList<>();
    CountDownLatch ruleEnded = new CountDownLatch(1);
    return new TckFixture() {
      @Override
      public Courier newCourier() {
        InMemoryTransport real = InMemoryTransport.builder().brokerName(broker).ackTimeout(LEASE).build();
        return Courier.builder().transport(new BrokenTransport(real, current, outage))
            .publishTimeout(Duration.ofSeconds(2)).build();
      }

      @Override
      public Optional<BrokerControl> brokerControl() {
        return Optional.ofNullable(outage);
      }

      @Override
      public Optional<Duration> lease() {
        return Optional.of(LEASE);
      }

      @Override
      public Duration crashRedeliveryBound() {
        return Duration.ofSeconds(1);
      }

      /**
       * A consumer in this JVM, "killed" as the broker would see a dead process: its receivers go
       * away without settling, so the broker takes their deliveries back; with
       * STRANDS_CRASHED_DELIVERIES they stay with the dead consumer.
       */
      @Override
      public Optional<CrashingConsumer> startCrashingConsumer(String topic, String group, Duration patience) {
        InMemoryTransport real = InMemoryTransport.builder().brokerName(broker).ackTimeout(LEASE).build();
        Courier consumer = Courier.builder().transport(new BrokenTransport(real, current, outage)).build();
        crashed.add(consumer);
        Set<String> started = ConcurrentHashMap.newKeySet();
        consumer.subscribe(SubscriptionOptions.builder(topic, group).concurrency(2).maxInFlight(8).build(), d -> {
          started.add(d.message().id());
          ruleEnded.await();
        });
        return Optional.of(new CrashingConsumer() {
          @Override
          public Set<String> started() {
            return Set.copyOf(started);
          }

          @Override
          public void kill() {
            if (current != Flaw.STRANDS_CRASHED_DELIVERIES) {
              real.close();
            }
          }
        });
      }

      @Override
      public void close() {
        ruleEnded.countDown();
        crashed.forEach(Courier::close);
        InMemoryBroker.discard(broker);
      }

      @Override
      public Capabilities capabilities() {
        return expected(current);
      }
    };
  }

  /**
   * What the fixture expects the flawed adapter to declare: the in-memory adapter's features, plus
   * PERSISTENT where the outage is simulated (and, wrongly, with OVERCLAIMED_BY_FIXTURE); nothing
   * with DECLARES_NOTHING.
   */
  private static Capabilities expected(Flaw flaw) {
    if (flaw == Flaw.DECLARES_NOTHING) {
      return Capabilities.builder().build();
    }
    Capabilities.Builder b = Capabilities.builder().with(Capability.FAN_OUT, Capability.ORDERED_BY_KEY,
        Capability.DELAYED_REDELIVERY, Capability.DELAYED_PUBLISH, Capability.PEEK);
    if (flaw.simulatesOutage() || flaw == Flaw.OVERCLAIMED_BY_FIXTURE) {
      b.with(Capability.PERSISTENT);
    }
    return b.build();
  }

  /** Enables the class only when the self-test names a flaw, and hands the flaw to the constructor. */
  static final class OnlyInSelfTest extends SelfTestRuns.FlawParameter<Flaw> {
    OnlyInSelfTest() {
      super(FLAW, Flaw.class);
    }
  }
}
