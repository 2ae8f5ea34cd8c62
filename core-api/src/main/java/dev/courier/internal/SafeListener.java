package dev.courier.internal;

import dev.courier.CourierListener;
import dev.courier.Delivery;
import dev.courier.Message;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Calls a user's listener, logging and ignoring what it throws so it can never break settlement. */
public final class SafeListener implements CourierListener {
  private static final Logger log = LoggerFactory.getLogger(SafeListener.class);

  private final CourierListener delegate;

  private SafeListener(CourierListener delegate) {
    this.delegate = delegate;
  }

  public static CourierListener wrap(CourierListener listener) {
    return listener instanceof SafeListener || listener == CourierListener.NONE
        ? listener : new SafeListener(listener);
  }

  @Override
  public void published(String topic, Message message) {
    run(() -> delegate.published(topic, message), "published");
  }

  @Override
  public void delivered(Delivery delivery) {
    run(() -> delegate.delivered(delivery), "delivered");
  }

  @Override
  public void acked(Delivery delivery, Duration handlerTime) {
    run(() -> delegate.acked(delivery, handlerTime), "acked");
  }

  @Override
  public void retried(Delivery delivery, Throwable failure, Duration backoff) {
    run(() -> delegate.retried(delivery, failure, backoff), "retried");
  }

  @Override
  public void redelivered(Delivery delivery, Throwable failure, Duration delay) {
    run(() -> delegate.redelivered(delivery, failure, delay), "redelivered");
  }

  @Override
  public void deadLettered(Delivery delivery, Throwable failure, String deadLetterTopic) {
    run(() -> delegate.deadLettered(delivery, failure, deadLetterTopic), "deadLettered");
  }

  @Override
  public void duplicateSkipped(Delivery delivery) {
    run(() -> delegate.duplicateSkipped(delivery), "duplicateSkipped");
  }

  private void run(Runnable call, String event) {
    try {
      call.run();
    } catch (RuntimeException e) {
      log.warn("CourierListener {} threw on '{}'; ignored", delegate.getClass().getName(), event, e);
    }
  }
}
