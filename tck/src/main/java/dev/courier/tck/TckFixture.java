package dev.courier.tck;

import dev.courier.Capabilities;
import dev.courier.Courier;
import dev.courier.tck.internal.ChildJvmConsumer;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What an adapter gives the TCK: how to reach its broker, what it claims, and (optionally) how to
 * stop and start the broker. Nothing else: every rule is written against the public Courier API.
 *
 * <p>The TCK asks for a new fixture for every rule and may call {@link #newCourier()} several times
 * in one rule (competing consumers, a crashed consumer and its successor): every Courier from one
 * fixture must reach the same broker. The TCK closes every Courier it created when the rule ends.
 */
public interface TckFixture extends AutoCloseable {
  /** A new Courier connected to the broker under test, e.g. {@code Courier.builder().transport(...).build()}. */
  Courier newCourier();

  /**
   * The capabilities the adapter is expected to declare, stated by the fixture (e.g.
   * {@code Capabilities.builder().with(FAN_OUT, PERSISTENT).build()}), never read from the adapter:
   * rule {@code TCK-0.1} checks that the adapter declares exactly these features, and
   * capability-gated rules run or are skipped according to them, so a wrong claim cannot silently
   * skip rules.
   */
  Capabilities capabilities();

  /**
   * Whether the broker under test is an emulator (e.g. the Pub/Sub emulator) rather than the real
   * service. Recorded in the report; the compatibility matrix marks such columns, since an
   * emulator's pass says nothing about the cloud service's behaviour. False by default.
   */
  default boolean emulator() {
    return false;
  }

  /**
   * A topic or group name no other rule or run uses, valid for the broker. The default is
   * {@code tck-<purpose>-<random hex>}: lower-case letters, digits and '-'.
   */
  default String uniqueName(String purpose) {
    return "tck-" + purpose + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xFFFFFFFFFFL);
  }

  /**
   * Configuration from which {@code Courier.fromConfig} in another JVM, on this JVM's class path,
   * reaches the same broker; the real-crash rule starts such a consumer and kills it. Empty (the
   * default) skips that rule, with the reason, as for an in-process broker.
   */
  default Optional<Map<String, String>> childConfiguration() {
    return Optional.empty();
  }

  /**
   * How long after a consumer's process dies the broker may take to give its unsettled messages to
   * another consumer of the group: its visibility timeout, ack deadline or session timeout. 30 s by
   * default.
   */
  default Duration crashRedeliveryBound() {
    return Duration.ofSeconds(30);
  }

  /**
   * Starts a consumer of the group whose handlers never finish, and that can be killed as a crash
   * would: by default in a child JVM from {@link #childConfiguration()}; empty when there is none.
   */
  default Optional<CrashingConsumer> startCrashingConsumer(String topic, String group, Duration patience) {
    return childConfiguration().map(config -> ChildJvmConsumer.start(config, topic, group, patience));
  }

  /**
   * The lease (visibility timeout, ack deadline, ack timeout) for which the broker of every Courier
   * from {@link #newCourier()} lends a delivery before giving it to another consumer unless it is
   * extended. Configure it short there (a second or a few) and return it, so the lease rules run
   * quickly: they keep a handler busy for three leases. Empty (the default) skips them, with the
   * reason, as for brokers that keep a delivery until it is settled.
   */
  default Optional<Duration> lease() {
    return Optional.empty();
  }

  /** How to stop and start the broker, for the fault rules; empty (the default) skips them. */
  default Optional<BrokerControl> brokerControl() {
    return Optional.empty();
  }

  /**
   * Releases what the fixture made for its rule (a named in-process broker, a container); called
   * after the rule's Couriers were closed. Does nothing by default.
   */
  @Override
  default void close() {}
}
