package dev.courier;

import java.util.concurrent.CompletableFuture;

/**
 * Code that runs around every {@link Publisher} call of a message: it may replace the message (add
 * headers, say a trace context) before it is validated and sent, and sees the broker's confirmation
 * or the failure through the future. Register with {@link Courier.Builder#publishInterceptor} or
 * {@link Courier#addPublishInterceptor}; several run in registration order, the first registered
 * outermost (so it sees the message first and the outcome last). A batch ({@link
 * Publisher#publishAll}) runs the chain once per message and sends the batch when every message
 * went through it. Dead letters, redriven copies and other messages the core itself sends keep the
 * original's headers and do not pass through interceptors.
 *
 * <p>Contract: call {@code next.publish(message)} exactly once, on the calling thread, and return
 * its future or one that completes when it does; what {@code next} throws (bad input: an invalid
 * name, a message over the limits) must propagate, nothing has been sent then. Runs on the
 * publishing thread; the future completes on a Courier or client thread, so do not block in its
 * callbacks.
 */
@FunctionalInterface
public interface PublishInterceptor {
  CompletableFuture<Void> around(String topic, Message message, Next next);

  /** The rest of the chain: the next interceptor, then validation and the send. */
  @FunctionalInterface
  interface Next {
    CompletableFuture<Void> publish(Message message);
  }
}
