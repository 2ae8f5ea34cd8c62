package dev.courier.internal;

import dev.courier.CourierListener;
import dev.courier.Message;
import dev.courier.PayloadDecodeException;
import dev.courier.RetryPolicy;
import dev.courier.spi.TransportDelivery;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last step of the failure path: once the in-process attempts are spent (or pointless), the
 * redelivery / dead-letter decision and its settlement. Redelivered with a growing delay until
 * {@link RetryPolicy#maxDeliveries()}, then dead-lettered; non-retryable failures and undecodable
 * payloads are dead-lettered at once. The original is acked only once the dead-letter copy is
 * confirmed; a copy that could not be sent sends the original back with the redelivery delay.
 * Each method reports exactly one terminal event.
 */
final class FailureSettlement {
  private static final Logger log = LoggerFactory.getLogger(FailureSettlement.class);
  private static final int FIRST_FAILURES_REMEMBERED = 10_000;

  private final RetryPolicy policy;
  private final DeadLetterSender deadLetters;
  private final Backoff backoff;
  private final Duration maxDelay; // the adapter's
  private final Clock clock;
  private final Extensions extensions;
  private final String scope;
  /** First failure time per message id, so a dead letter can report it; bounded, best effort. */
  private final Map<String, Instant> firstFailures = new ConcurrentHashMap<>();

  FailureSettlement(RetryPolicy policy, DeadLetterSender deadLetters, Backoff backoff, Duration maxRedeliveryDelay,
      Clock clock, Extensions extensions, String scope) {
    this.policy = policy;
    this.deadLetters = deadLetters;
    this.backoff = backoff;
    this.maxDelay = maxRedeliveryDelay;
    this.clock = clock;
    this.extensions = extensions;
    this.scope = scope;
  }

  /** The in-process attempts of this delivery failed for good: redeliver or dead-letter. */
  void settle(TransportDelivery raw, DeliveryContext current, Throwable failure, int deliveryCount) {
    if (!retryable(failure)) {
      DeadLetterSender.Reason reason = isDecodeFailure(failure)
          ? DeadLetterSender.Reason.UNDECODABLE : DeadLetterSender.Reason.NON_RETRYABLE;
      deadLetter(raw, current, failure, reason, deliveryCount);
    } else if (deliveryCount < policy.maxDeliveries()) {
      redeliver(raw, current, failure, deliveryCount);
    } else {
      deadLetter(raw, current, failure, DeadLetterSender.Reason.EXHAUSTED, deliveryCount);
    }
  }

  boolean retryable(Throwable failure) {
    return !isDecodeFailure(failure) && policy.isRetryable(failure);
  }

  private static boolean isDecodeFailure(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof PayloadDecodeException) {
        return true;
      }
    }
    return false;
  }

  /** Back to the broker after the redelivery delay of the d-th delivery. */
  void redeliver(TransportDelivery raw, DeliveryContext delivery, Throwable failure, int deliveryCount) {
    Duration delay = backoff.redelivery(deliveryCount, maxDelay);
    log.debug("{} failed ({}); the broker redelivers it after {}", delivery, failure.getClass().getName(), delay);
    raw.nack(delay);
    extensions.listener().redelivered(delivery, failure, delay);
  }

  void deadLetter(TransportDelivery raw, DeliveryContext delivery, Throwable failure,
      DeadLetterSender.Reason reason, int deliveryCount) {
    Instant last = clock.instant();
    Instant first = firstFailures.getOrDefault(raw.message().id(), last);
    CourierListener listener = extensions.listener();
    try {
      deadLetters.send(raw.message(), delivery.attempt(), first, last, failure, reason);
    } catch (RuntimeException e) {
      Duration delay = backoff.redelivery(deliveryCount, maxDelay);
      log.error("could not dead-letter message {} of {} to '{}'; it stays on the source and returns after {}",
          raw.message().id(), scope, deadLetters.topic(), delay, e);
      raw.nack(delay);
      listener.redelivered(delivery, e, delay);
      return;
    }
    raw.ack();
    forget(raw.message());
    log.info("dead-lettered message {} of {} to '{}' after attempt {} ({}: {})", raw.message().id(),
        scope, deadLetters.topic(), delivery.attempt(), reason.header, failure.getClass().getName());
    listener.deadLettered(delivery, failure, deadLetters.topic());
  }

  /** A handler call of this message failed now. */
  void rememberFailure(Message message) {
    if (firstFailures.putIfAbsent(message.id(), clock.instant()) == null
        && firstFailures.size() > FIRST_FAILURES_REMEMBERED) {
      // Over the bound: drop an arbitrary entry; its dead letter would report a later first failure.
      var it = firstFailures.keySet().iterator();
      if (it.hasNext()) {
        it.next();
        it.remove();
      }
    }
  }

  /** The message is settled for good in this group. */
  void forget(Message message) {
    // Lock-free and cheap on the success path, where the map almost never holds the id.
    if (!firstFailures.isEmpty()) {
      firstFailures.remove(message.id());
    }
  }
}
