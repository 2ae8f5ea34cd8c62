package dev.courier;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Publishes messages to topics. Thread-safe; share one instance.
 *
 * <p>Every argument is validated before any I/O: a null, an invalid topic name, or a message over
 * the adapter's limits throws at once ({@link NullPointerException}, {@link InvalidNameException},
 * {@link PayloadTooLargeException}) and nothing is sent. Once a call returns a future, the future
 * completes normally only after the broker has durably accepted the message (publisher confirm,
 * {@code acks=all}, send response), and exceptionally with a {@link PublishException} when the
 * broker refused it, the connection failed, or no confirmation came within the publish timeout.
 * Nothing is dropped silently. Futures complete on a Courier or client thread: do not block in
 * their callbacks.
 */
public interface Publisher {
  CompletableFuture<Void> publish(String topic, Message message);

  /**
   * Publishes a batch. Every message is validated before any is sent. The future completes when
   * all are confirmed, or exceptionally with a {@link PublishException} whose suppressed
   * exceptions are the individual failures; messages that were confirmed stay published.
   */
  CompletableFuture<Void> publishAll(String topic, List<Message> messages);

  /**
   * Publishes a message that becomes visible to consumers after {@code delay}. Needs
   * {@link Capability#DELAYED_PUBLISH}; without it, throws {@link UnsupportedCapabilityException}
   * before any I/O. The delay must not exceed {@link Capabilities#maxPublishDelay()}.
   */
  CompletableFuture<Void> publishDelayed(String topic, Message message, Duration delay);
}
