package dev.courier.pubsub.internal;

import dev.courier.CourierClosedException;
import dev.courier.PublishException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.RejectedExecutionException;

/** What a publish to one topic that did not succeed fails with, so the caller can tell why. */
final class PublishFailures {
  private final String topic;

  PublishFailures(String topic) {
    this.topic = topic;
  }

  /** Pub/Sub or the client failed the publish; a cancellation means it waited behind a failed one of its key. */
  PublishException refused(Throwable t) {
    return t instanceof CancellationException ? behind(t)
        : new PublishException("Pub/Sub did not accept a message for topic '" + topic + "': " + Publishers.describe(t), t);
  }

  /** Never sent: it was issued behind a publish of its key that Pub/Sub refused. */
  PublishException behind(Throwable t) {
    return new PublishException("Pub/Sub did not accept a message for topic '" + topic
        + "': not sent, it was queued behind a failed publish of the same ordering key", t);
  }

  /** The client would not take the message: shut down (or its scheduler is), else refused. */
  RuntimeException notSent(RuntimeException e, boolean closed) {
    if (closed || e instanceof IllegalStateException || e instanceof RejectedExecutionException) {
      return closed();
    }
    return refused(e);
  }

  static CourierClosedException closed() {
    return new CourierClosedException("the Pub/Sub transport is closed");
  }
}
