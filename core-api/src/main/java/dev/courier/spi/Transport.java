package dev.courier.spi;

import dev.courier.Capabilities;
import dev.courier.Capability;
import dev.courier.GroupOptions;
import dev.courier.Message;
import dev.courier.UnsupportedCapabilityException;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;

/**
 * What an adapter implements: move bytes to and from one broker and settle deliveries. Everything
 * else (validation, retries, dead-lettering, idempotency, dispatch to handler threads, per-key
 * lanes, metrics) is Courier's core, which calls this interface only with validated arguments.
 *
 * <p>Implementations are thread-safe. {@link #send} must not block on the network for long: it
 * returns a future that completes when the broker has durably accepted the message (and must
 * complete, exceptionally, within the adapter's publish timeout if the broker does not answer).
 */
public interface Transport extends AutoCloseable {
  /** The adapter's stable name, e.g. {@code inmemory}, {@code rabbitmq}. */
  String name();

  Capabilities capabilities();

  /** The broker's naming rules, and the names Courier derives (dead-letter topics). */
  NamingRules naming();

  /** Sends one message; the future completes on the broker's confirmation. */
  CompletableFuture<Void> send(String topic, Message message);

  /** Sends a batch; by default one {@link #send} each. Completes when all are confirmed. */
  default List<CompletableFuture<Void>> sendAll(String topic, List<Message> messages) {
    return messages.stream().map(m -> send(topic, m)).toList();
  }

  /**
   * Sends a message that becomes visible after {@code delay}. Called only when
   * {@link Capabilities#has} {@link Capability#DELAYED_PUBLISH}.
   */
  default CompletableFuture<Void> sendDelayed(String topic, Message message, Duration delay) {
    return CompletableFuture.failedFuture(
        new UnsupportedCapabilityException(name(), Capability.DELAYED_PUBLISH, "sendDelayed"));
  }

  /**
   * Starts consuming {@code spec.group()} on {@code spec.topic()}, creating the group if needed,
   * and hands each delivery to {@code sink} from the adapter's own thread(s). The adapter never
   * has more than {@code spec.maxInFlight()} deliveries handed to the sink and not yet settled.
   *
   * <p>Key order is split between the two layers. Within one receiver, Courier's core runs
   * same-key deliveries one at a time, in the order the adapter handed them over (per-key lanes);
   * so where {@code spec.orderedByKey()}, the adapter only has to hand a group's same-key messages
   * to a receiver in publish order, and never to two receivers of the group at once: a partition
   * owned by one consumer (Kafka), a single active consumer (RabbitMQ), or a key held back until
   * its previous message is settled (in-memory). An adapter that declares
   * {@link dev.courier.Capability#ORDERED_BY_KEY} but keeps order only within one receiver says so
   * in its documentation.
   *
   * <p>The group is created with {@code spec.groupOptions()} if missing; an existing group that
   * cannot give them fails the call as {@link #ensureGroup(String, String, GroupOptions)} does.
   */
  Receiver receive(ReceiveSpec spec, DeliverySink sink);

  void ensureTopic(String topic);

  /** {@link #ensureGroup(String, String, GroupOptions)} with {@link GroupOptions#defaults()}. */
  default void ensureGroup(String topic, String group) {
    ensureGroup(topic, group, GroupOptions.defaults());
  }

  /**
   * Creates the group (and its topic) if missing, with what {@code options} needs where the broker
   * fixes it at creation (RabbitMQ: a single-active-consumer queue for {@code orderedByKey}; SQS: a
   * FIFO queue; Pub/Sub: message ordering). An existing group that was created with less than
   * {@code options} asks for, where the broker cannot change it, fails with
   * {@link dev.courier.IncompatibleGroupException} naming the group and what differs; never
   * silently serves less. One created with more serves the call. Adapters whose broker needs
   * nothing at creation (ordering comes from partitions, or from the adapter itself) ignore
   * {@code options}. Idempotent.
   */
  void ensureGroup(String topic, String group, GroupOptions options);

  /**
   * Messages waiting in {@code group} and not yet settled, or empty when the broker cannot count
   * them (Pub/Sub has no count). Approximate where the broker only estimates (SQS): Courier never
   * trusts it to decide what to consume, only reports it ({@link dev.courier.DeadLetters#count()}).
   */
  OptionalLong backlog(String topic, String group);

  /** Releases connections and threads. Receivers still open are closed as by {@link Receiver#close()}. */
  @Override
  void close();
}
