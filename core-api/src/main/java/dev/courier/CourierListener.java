package dev.courier;

import java.time.Duration;

/**
 * Observability hooks: the reliability layer calls these as a delivery moves along its path, so
 * metrics and tracing plug in without touching the layer. Called synchronously on Courier's
 * threads: keep them fast and never throw (a throwing listener is logged and ignored). All
 * methods do nothing by default.
 */
public interface CourierListener {
  /** A confirmed publish. */
  default void published(String topic, Message message) {}

  /** A delivery is about to reach the handler ({@code delivery.attempt()} tells which attempt). */
  default void delivered(Delivery delivery) {}

  /** The handler succeeded and the delivery was acked. */
  default void acked(Delivery delivery, Duration handlerTime) {}

  /** The handler failed and will be retried in-process after {@code backoff}. */
  default void retried(Delivery delivery, Throwable failure, Duration backoff) {}

  /**
   * The message goes back to the broker, redelivered after {@code delay}, because: the handler's
   * in-process attempts failed ({@code failure} is the handler's last exception); the dead-letter
   * publish was not confirmed (a {@link PublishException}); the idempotency store failed; or
   * another consumer holds the message's idempotency claim (a {@link CourierException}).
   */
  default void redelivered(Delivery delivery, Throwable failure, Duration delay) {}

  /**
   * The message was republished to {@code deadLetterTopic} (confirmed) and the original acked:
   * its attempts were exhausted, {@code failure} is not retryable, or its payload is undecodable.
   */
  default void deadLettered(Delivery delivery, Throwable failure, String deadLetterTopic) {}

  /** A duplicate was skipped by the idempotency store without calling the handler. */
  default void duplicateSkipped(Delivery delivery) {}

  /** A no-op listener. */
  CourierListener NONE = new CourierListener() {};
}
