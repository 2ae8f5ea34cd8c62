package dev.courier.internal;

import dev.courier.CourierListener;
import dev.courier.Delivery;
import dev.courier.Message;
import dev.courier.Subscription;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Several listeners heard as one, in order; what one throws is logged and ignored, so it can never
 * break settlement nor silence the others. Immutable; plain loops, nothing allocated per event.
 */
final class CompositeListener implements CourierListener {
  private static final Logger log = LoggerFactory.getLogger(CompositeListener.class);

  private final CourierListener[] listeners;

  private CompositeListener(CourierListener[] listeners) {
    this.listeners = listeners;
  }

  /** {@link CourierListener#NONE} when there is nothing to call. */
  static CourierListener of(CourierListener[] listeners) {
    return listeners.length == 0 ? CourierListener.NONE : new CompositeListener(listeners.clone());
  }

  private static void failed(CourierListener l, String event, Throwable e) {
    if (e instanceof VirtualMachineError fatal) {
      throw fatal;
    }
    log.warn("CourierListener {} threw on '{}'; ignored", l.getClass().getName(), event, e);
  }

  @Override
  public void subscribed(Subscription subscription) {
    for (CourierListener l : listeners) {
      try {
        l.subscribed(subscription);
      } catch (Throwable e) { // a LinkageError from a metrics or tracing library too
        failed(l, "subscribed", e);
      }
    }
  }

  @Override
  public void unsubscribed(Subscription subscription) {
    for (CourierListener l : listeners) {
      try {
        l.unsubscribed(subscription);
      } catch (Throwable e) { // a LinkageError from a metrics or tracing library too
        failed(l, "unsubscribed", e);
      }
    }
  }

  @Override
  public void published(String topic, Message message) {
    for (CourierListener l : listeners) {
      try {
        l.published(topic, message);
      } catch (Throwable e) { // a LinkageError from a metrics or tracing library too
        failed(l, "published", e);
      }
    }
  }

  @Override
  public void publishFailed(String topic, Message message, Throwable failure) {
    for (CourierListener l : listeners) {
      try {
        l.publishFailed(topic, message, failure);
      } catch (Throwable e) { // a LinkageError from a metrics or tracing library too
        failed(l, "publishFailed", e);
      }
    }
  }

  @Override
  public void started(Delivery delivery) {
    for (CourierListener l : listeners) {
      try {
        l.started(delivery);
      } catch (Throwable e) { // a LinkageError from a metrics or tracing library too
        failed(l, "started", e);
      }
    }
  }

  @Override
  public void delivered(Delivery delivery) {
    for (CourierListener l : listeners) {
      try {
        l.delivered(delivery);
      } catch (Throwable e) { // a LinkageError from a metrics or tracing library too
        failed(l, "delivered", e);
      }
    }
  }

  @Override
  public void acked(Delivery delivery, Duration handlerTime) {
    for (CourierListener l : listeners) {
      try {
        l.acked(delivery, handlerTime);
      } catch (Throwable e) { // a LinkageError from a metrics or tracing library too
        failed(l, "acked", e);
      }
    }
  }

  @Override
  public void retried(Delivery delivery, Throwable failure, Duration backoff) {
    for (CourierListener l : listeners) {
      try {
        l.retried(delivery, failure, backoff);
      } catch (Throwable e) { // a LinkageError from a metrics or tracing library too
        failed(l, "retried", e);
      }
    }
  }

  @Override
  public void redelivered(Delivery delivery, Throwable failure, Duration delay) {
    for (CourierListener l : listeners) {
      try {
        l.redelivered(delivery, failure, delay);
      } catch (Throwable e) { // a LinkageError from a metrics or tracing library too
        failed(l, "redelivered", e);
      }
    }
  }

  @Override
  public void deadLettered(Delivery delivery, Throwable failure, String deadLetterTopic) {
    for (CourierListener l : listeners) {
      try {
        l.deadLettered(delivery, failure, deadLetterTopic);
      } catch (Throwable e) { // a LinkageError from a metrics or tracing library too
        failed(l, "deadLettered", e);
      }
    }
  }

  @Override
  public void duplicateSkipped(Delivery delivery) {
    for (CourierListener l : listeners) {
      try {
        l.duplicateSkipped(delivery);
      } catch (Throwable e) { // a LinkageError from a metrics or tracing library too
        failed(l, "duplicateSkipped", e);
      }
    }
  }

  @Override
  public void released(Delivery delivery, Release reason) {
    for (CourierListener l : listeners) {
      try {
        l.released(delivery, reason);
      } catch (Throwable e) { // a LinkageError from a metrics or tracing library too
        failed(l, "released", e);
      }
    }
  }
}
