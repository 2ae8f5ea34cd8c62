package dev.courier.spi;

import dev.courier.Message;
import java.time.Duration;
import java.util.Optional;

/**
 * One raw delivery from the broker, settled exactly once by Courier's core. Settlement is
 * idempotent: only the first {@link #ack} or {@link #nack} counts; later calls, and calls after the
 * receiver was closed, do nothing. Settlement may be called from any thread and must not block on
 * the network for long.
 */
public interface TransportDelivery {
  /** The message; for an {@link #undecodable()} delivery, the one {@link Undecodable#message} built. */
  Message message();

  /**
   * Present when the adapter could not map the broker's entry to a message (foreign producer,
   * invalid id or header): the core then dead-letters the delivery at once as {@code undecodable},
   * with the broker's id in a header, without calling the handler. Adapters never drop such an
   * entry nor hand the handler a message missing parts of it. By default empty.
   */
  default Optional<Undecodable> undecodable() {
    return Optional.empty();
  }

  /**
   * How many times the broker has delivered this message to this group, this one included
   * (1 for the first delivery). Adapters whose broker does not count keep the count themselves
   * across nacks.
   */
  int deliveryCount();

  /** The message was handled (or dead-lettered): remove it from the group. */
  void ack();

  /**
   * Return the message to the group, to be delivered again (to any consumer of the group) no
   * sooner than {@code redeliverAfter}; {@link Duration#ZERO} means as soon as possible.
   */
  void nack(Duration redeliverAfter);

  /**
   * Return the message unhandled, and not because its handler failed: the subscription is
   * stopping, or the delivery could not be dispatched. It is delivered again as soon as possible;
   * adapters whose broker allows it do not count this as a delivery. By default
   * {@code nack(Duration.ZERO)}.
   */
  default void release() {
    nack(Duration.ZERO);
  }

  /**
   * Return the message untried, to be delivered again no sooner than {@code redeliverAfter},
   * without counting this delivery: the core calls it when another consumer of the group holds the
   * message's idempotency claim, so the handler never ran. Adapters whose broker cannot leave its
   * delivery count alone (SQS's receive count, for one) may count it. By default
   * {@code nack(redeliverAfter)}.
   */
  default void defer(Duration redeliverAfter) {
    nack(redeliverAfter);
  }

  /**
   * Whether the adapter has taken this delivery back before a handler started on it (its
   * partition was revoked, it expired, its channel closed) and the broker will deliver it again.
   * A pure query, with no side effect: Courier's core may call it any time (to drop stale
   * deliveries from its queue). An adapter that withdraws a delivery releases its own bookkeeping
   * for it at that moment: the core neither handles nor settles a withdrawn delivery. By default
   * never.
   */
  default boolean isWithdrawn() {
    return false;
  }

  /**
   * Called once, right before the handler runs. Returns false if the delivery was withdrawn (the
   * core then skips it); returns true otherwise, and from then on the adapter must not withdraw
   * it (so it may wait for it instead). Adapters that withdraw deliveries make check-and-start
   * atomic here. By default {@code !isWithdrawn()}.
   */
  default boolean tryStart() {
    return !isWithdrawn();
  }

  /**
   * Keeps this started delivery's lease (visibility timeout, ack deadline, ack timeout) alive: the
   * broker must not hand the message to another consumer sooner than one full lease from now.
   * Courier's core calls it only on adapters that declare
   * {@link dev.courier.Capabilities#leaseRenewalInterval()}, every such interval from a successful
   * {@link #tryStart} until the delivery is settled, and stops after the subscription's
   * handlerTimeout plus the grace in which a handler that ignores its timeout is abandoned (per
   * handler call; between in-process retries and while the core settles it, it keeps renewing).
   * Called from the core's scheduler thread, concurrently with settlement: it must be thread-safe,
   * must not block on the network for long (send the extension asynchronously), must not throw for
   * a broker failure (a lease that could not be extended simply runs out), and does nothing once
   * the delivery is settled or withdrawn. By default nothing: brokers without leases ignore it.
   */
  default void extendLease() {}
}
