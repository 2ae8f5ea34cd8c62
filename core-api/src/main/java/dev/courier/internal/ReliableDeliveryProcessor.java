package dev.courier.internal;

import dev.courier.CourierException;
import dev.courier.CourierListener;
import dev.courier.HandlerTimeoutException;
import dev.courier.Idempotency;
import dev.courier.Message;
import dev.courier.MessageHandler;
import dev.courier.PayloadDecodeException;
import dev.courier.RetryPolicy;
import dev.courier.SubscriptionOptions;
import dev.courier.idempotency.IdempotencyStore;
import dev.courier.spi.TransportDelivery;
import dev.courier.spi.Undecodable;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reliability layer around one subscription's handler. Outermost first: listener hooks →
 * idempotency (claim, skip duplicates, release on failure) → in-process retries with backoff and
 * jitter → handler timeout → handler. When the in-process attempts are spent, the delivery goes
 * back to the broker with a growing delay until {@link RetryPolicy#maxDeliveries()}, then to the
 * dead-letter topic; undecodable payloads, deliveries the adapter could not map
 * ({@link TransportDelivery#undecodable()}, never handed to the handler) and non-retryable failures
 * go there at once. The
 * original is acked only after the handler succeeded or the dead-letter copy was confirmed.
 *
 * <p>Attempt numbering: the n-th in-process call (from 1) of the broker's d-th delivery is attempt
 * {@code (d - 1) × maxInProcessAttempts + n}.
 */
public final class ReliableDeliveryProcessor implements DeliveryProcessor {
  private static final Logger log = LoggerFactory.getLogger(ReliableDeliveryProcessor.class);
  private static final int FIRST_FAILURES_REMEMBERED = 10_000;

  private final SubscriptionOptions options;
  private final RetryPolicy policy;
  private final MessageHandler handler;
  private final CourierListener listener;
  private final DeadLetterSender deadLetters;
  /** The adapter's maximum redelivery delay. */
  private final Duration maxDelay;
  private final Backoff backoff;
  private final Clock clock;
  private final String scope;
  private final long timeoutNanos;
  private final Idempotency idempotency; // null when off; read once, not per delivery
  /** Idempotency claim owners: this processor's random prefix and a counter, unique across processes. */
  private final String ownerPrefix = UUID.randomUUID() + ":";
  private final AtomicLong claims = new AtomicLong();
  /** First failure time per message id, so a dead letter can report it; bounded, best effort. */
  private final Map<String, Instant> firstFailures = new java.util.concurrent.ConcurrentHashMap<>();

  public ReliableDeliveryProcessor(SubscriptionOptions options, MessageHandler handler,
      CourierListener listener, DeadLetterSender deadLetters, Duration maxRedeliveryDelay, Clock clock) {
    this.options = options;
    this.policy = options.retry();
    this.handler = handler;
    this.listener = SafeListener.wrap(listener);
    this.deadLetters = deadLetters;
    this.maxDelay = maxRedeliveryDelay;
    this.backoff = new Backoff(policy);
    this.clock = clock;
    this.scope = options.topic() + "/" + options.group();
    this.timeoutNanos = options.handlerTimeout().toNanos();
    this.idempotency = options.idempotency().orElse(null);
  }

  @Override
  public void process(TransportDelivery raw, HandlerWatchdog.Call call) {
    int deliveryCount = Math.max(1, raw.deliveryCount());
    int maxCalls = policy.maxInProcessAttempts();
    long base = (long) (deliveryCount - 1) * maxCalls;
    DeliveryContext first = context(raw.message(), base + 1);
    Undecodable undecodable = raw.undecodable().orElse(null);
    if (undecodable != null) {
      deadLetter(raw, first, new PayloadDecodeException("broker entry " + undecodable.brokerId()
          + " cannot be a Courier message: " + undecodable.reason(), null), DeadLetterSender.Reason.UNDECODABLE,
          deliveryCount);
      return;
    }

    Idempotency idempotency = this.idempotency;
    String key = null;
    String owner = null;
    if (idempotency != null) {
      try {
        key = idempotency.keyFunction().apply(raw.message());
        if (key == null || key.isEmpty()) {
          throw new IllegalStateException("the idempotency key function returned "
              + (key == null ? "null" : "an empty string"));
        }
      } catch (RuntimeException e) {
        // The same message will yield the same bad key every time: nothing to retry.
        deadLetter(raw, first, e, DeadLetterSender.Reason.NON_RETRYABLE, deliveryCount);
        return;
      }
      IdempotencyStore.Claim claim;
      try {
        owner = ownerPrefix + claims.incrementAndGet();
        claim = idempotency.store().tryClaim(scope, key, owner, idempotency.lease());
      } catch (RuntimeException e) {
        redeliver(raw, first, e, deliveryCount);
        return;
      }
      if (claim == IdempotencyStore.Claim.DONE) {
        raw.ack();
        listener.duplicateSkipped(first);
        return;
      }
      if (claim == IdempotencyStore.Claim.IN_PROGRESS) {
        Duration delay = min(idempotency.lease(), backoff.redelivery(1, maxDelay));
        raw.defer(delay); // not an attempt: the handler did not run
        listener.redelivered(first, new CourierException("message " + first.message().id()
            + " is being handled by another consumer of the group"), delay);
        return;
      }
    }

    Throwable failure = null;
    DeliveryContext current = first;
    for (int n = 1; n <= maxCalls; n++) {
      current = n == 1 ? first : context(raw.message(), base + n);
      listener.delivered(current);
      long started = System.nanoTime();
      DeliveryContext attempt = current;
      failure = call(current, call, () -> abandoned(raw, attempt, deliveryCount));
      if (call.isAbandoned()) {
        return; // settled in this thread's place, which must now exit: a late result counts for nothing
      }
      if (failure != null && call.isStopping()) {
        // Interrupted by Subscription.close(): the message did nothing wrong. Hand it back
        // untouched rather than retry, redeliver with a count, or dead-letter it.
        release(idempotency, key, owner);
        raw.release();
        return;
      }
      if (failure == null) {
        if (key != null) {
          markDone(idempotency, key);
        }
        raw.ack();
        forget(raw.message());
        listener.acked(current, Duration.ofNanos(System.nanoTime() - started));
        return;
      }
      Instant now = clock.instant();
      rememberFailure(raw.message(), now);
      if (!retryable(failure) || n == maxCalls) {
        break;
      }
      Duration wait = backoff.inProcess(n);
      listener.retried(current, failure, wait);
      if (!pause(wait)) {
        release(idempotency, key, owner);
        raw.release(); // the subscription is stopping: hand the message back untouched
        return;
      }
    }
    release(idempotency, key, owner);
    settleFailure(raw, current, failure, deliveryCount);
  }

  /** The in-process attempts are spent (or pointless): redeliver or dead-letter. */
  private void settleFailure(TransportDelivery raw, DeliveryContext current, Throwable failure, int deliveryCount) {
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

  /**
   * Settles, on the runtime's thread, a delivery whose handler ignored its timeout and was
   * abandoned: a timeout failure that skips the remaining in-process attempts (the handler is
   * still hanging in its thread). The idempotency claim is kept, not released: the abandoned
   * handler may still be doing the message's work, and the claim's lease is what stops a
   * redelivery from running it a second time concurrently; the redelivery is deferred until the
   * lease expires.
   */
  private void abandoned(TransportDelivery raw, DeliveryContext current, int deliveryCount) {
    rememberFailure(raw.message(), clock.instant());
    settleFailure(raw, current, new HandlerTimeoutException(options.handlerTimeout(), null), deliveryCount);
  }

  /** One handler call under the watchdog; null on success, else the failure. */
  private Throwable call(DeliveryContext delivery, HandlerWatchdog.Call call, Runnable settleIfAbandoned) {
    Throwable failure = null;
    call.start(timeoutNanos, settleIfAbandoned);
    try {
      handler.handle(delivery);
    } catch (Throwable t) { // an Error is a failed message, not a dead consumer
      failure = t;
    }
    if (call.end()) {
      failure = new HandlerTimeoutException(options.handlerTimeout(), failure);
    }
    return failure;
  }

  private boolean retryable(Throwable failure) {
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

  private void redeliver(TransportDelivery raw, DeliveryContext delivery, Throwable failure, int deliveryCount) {
    Duration delay = backoff.redelivery(deliveryCount, maxDelay);
    log.debug("{} failed ({}); the broker redelivers it after {}", delivery, failure.getClass().getName(), delay);
    raw.nack(delay);
    listener.redelivered(delivery, failure, delay);
  }

  private void deadLetter(TransportDelivery raw, DeliveryContext delivery, Throwable failure,
      DeadLetterSender.Reason reason, int deliveryCount) {
    Instant last = clock.instant();
    Instant first;
    first = firstFailures.getOrDefault(raw.message().id(), last);
    try {
      deadLetters.send(raw.message(), delivery.attempt(), first, last, failure, reason);
    } catch (RuntimeException e) {
      Duration delay = backoff.redelivery(deliveryCount, maxDelay);
      log.error("could not dead-letter message {} of {}/{} to '{}'; it stays on the source and returns after {}",
          raw.message().id(), options.topic(), options.group(), deadLetters.topic(), delay, e);
      raw.nack(delay);
      listener.redelivered(delivery, e, delay);
      return;
    }
    raw.ack();
    forget(raw.message());
    log.info("dead-lettered message {} of {}/{} to '{}' after attempt {} ({}: {})", raw.message().id(),
        options.topic(), options.group(), deadLetters.topic(), delivery.attempt(), reason.header,
        failure.getClass().getName());
    listener.deadLettered(delivery, failure, deadLetters.topic());
  }

  private void markDone(Idempotency idempotency, String key) {
    try {
      idempotency.store().markDone(scope, key, idempotency.retention());
    } catch (RuntimeException e) {
      // The handler's work is done; acking is right. The claim expires after its lease.
      log.warn("could not mark idempotency key of a handled message in {} as done; a duplicate "
          + "arriving after the claim's lease of {} would be handled again", scope, idempotency.lease(), e);
    }
  }

  private void release(Idempotency idempotency, String key, String owner) {
    if (key == null) {
      return;
    }
    try {
      idempotency.store().release(scope, key, owner);
    } catch (RuntimeException e) {
      log.warn("could not release an idempotency claim in {}; the redelivery waits for its lease of {}",
          scope, idempotency.lease(), e);
    }
  }

  private void rememberFailure(Message message, Instant when) {
    if (firstFailures.putIfAbsent(message.id(), when) == null
        && firstFailures.size() > FIRST_FAILURES_REMEMBERED) {
      // Over the bound: drop an arbitrary entry; its dead letter would report a later first failure.
      var it = firstFailures.keySet().iterator();
      if (it.hasNext()) {
        it.next();
        it.remove();
      }
    }
  }

  private void forget(Message message) {
    // Lock-free and cheap on the success path, where the map almost never holds the id.
    if (!firstFailures.isEmpty()) {
      firstFailures.remove(message.id());
    }
  }

  private DeliveryContext context(Message message, long attempt) {
    return new DeliveryContext(message, options.topic(), options.group(), (int) Math.min(Integer.MAX_VALUE, attempt));
  }

  /** Sleeps between in-process attempts; false if interrupted (the subscription is closing). */
  private static boolean pause(Duration wait) {
    if (wait.isZero()) {
      return !Thread.currentThread().isInterrupted();
    }
    try {
      Thread.sleep(wait.toMillis());
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
