package dev.courier;

import java.time.Duration;

/**
 * Observability events: the reliability layer reports as a delivery moves along its path, so
 * metrics and tracing plug in without touching the layer. Called synchronously on Courier's
 * threads: keep them fast and never throw (a throwing listener is logged and ignored, and the
 * other listeners still hear the event). Several can be registered; each hears every event, in
 * registration order. All methods do nothing by default.
 *
 * <p><b>Balanced events.</b> Every broker delivery the core starts (the adapter handed it over and
 * it was not taken back first) is reported as {@link #started} and then ends in exactly one
 * terminal event: {@link #acked}, {@link #redelivered}, {@link #deadLettered},
 * {@link #duplicateSkipped} or {@link #released}. In between, each handler call is a
 * {@link #delivered}, followed either by a {@link #retried} (another call follows) or by the
 * terminal event. So {@code started = acked + redelivered + deadLettered + duplicateSkipped +
 * released} once the subscriptions are closed. Deliveries the adapter took back before the core
 * started them (on close, after a lost connection) never reached the core and are not reported.
 */
public interface CourierListener {
  /** Why a started delivery went back to the broker untouched (not counted as a failed attempt). */
  enum Release {
    /** The subscription was closing: its handler call was interrupted, or it had not run yet. */
    CLOSING,
    /**
     * Its handler ignored its timeout and was abandoned, and the adapter had taken the delivery back
     * (or the subscription had closed) before it could be settled in the handler's place.
     */
    WITHDRAWN,
    /** The reliability layer itself failed (a bug, logged at ERROR); the delivery was left unsettled. */
    FAILED
  }

  /**
   * A subscription started consuming. Runs under a lock of the Courier that every subscribe, every
   * subscription's close and {@link Courier#addListener} take: be quick, and never block on a lock or
   * a thread that may itself be subscribing or closing a subscription of this Courier (it would wait
   * for this callback: a deadlock). Subscribing or closing from the callback's own thread is fine.
   */
  default void subscribed(Subscription subscription) {}

  /** A subscription finished closing. Runs under the same lock as {@link #subscribed}, same rules. */
  default void unsubscribed(Subscription subscription) {}

  /** A publish the broker confirmed. */
  default void published(String topic, Message message) {}

  /**
   * A publish that failed after it was accepted for sending: refused by the broker, a lost
   * connection, no confirmation within the publish timeout, or the Courier closing. Bad input
   * thrown to the caller before any I/O is not reported.
   */
  default void publishFailed(String topic, Message message, Throwable failure) {}

  /** The core started a broker delivery ({@code delivery.attempt()} is its first attempt). */
  default void started(Delivery delivery) {}

  /** A delivery is about to reach the handler ({@code delivery.attempt()} tells which attempt). */
  default void delivered(Delivery delivery) {}

  /** Terminal: the handler succeeded and the delivery was acked. */
  default void acked(Delivery delivery, Duration handlerTime) {}

  /** The handler failed and will be retried in-process after {@code backoff}. */
  default void retried(Delivery delivery, Throwable failure, Duration backoff) {}

  /**
   * Terminal: the message goes back to the broker, redelivered after {@code delay}, because: the
   * handler's in-process attempts failed ({@code failure} is the handler's last exception); the
   * dead-letter publish was not confirmed (a {@link PublishException}); the idempotency store
   * failed; or another consumer holds the message's idempotency claim (a {@link CourierException}).
   */
  default void redelivered(Delivery delivery, Throwable failure, Duration delay) {}

  /**
   * Terminal: the message was republished to {@code deadLetterTopic} (confirmed) and the original
   * acked: its attempts were exhausted, {@code failure} is not retryable, or its payload is
   * undecodable.
   */
  default void deadLettered(Delivery delivery, Throwable failure, String deadLetterTopic) {}

  /** Terminal: a duplicate was skipped by the idempotency store without calling the handler. */
  default void duplicateSkipped(Delivery delivery) {}

  /** Terminal: the delivery went back to the broker untouched, for {@code reason}. */
  default void released(Delivery delivery, Release reason) {}

  /** A no-op listener. */
  CourierListener NONE = new CourierListener() {};
}
