package dev.courier.internal;

import dev.courier.CourierException;
import dev.courier.CourierListener;
import dev.courier.HandlerTimeoutException;
import dev.courier.Message;
import dev.courier.MessageHandler;
import dev.courier.PayloadDecodeException;
import dev.courier.RetryPolicy;
import dev.courier.SubscriptionOptions;
import dev.courier.spi.TransportDelivery;
import dev.courier.spi.Undecodable;
import java.time.Clock;
import java.time.Duration;

/**
 * The reliability layer around one subscription's handler, read as the README's failure path:
 * undecodable entries are dead-lettered at once → {@link IdempotencyGuard idempotency} (claim, skip
 * duplicates, release on failure) → in-process retries with backoff and jitter (this class) →
 * {@link HandlerInvocation handler call} under its timeout, with the MDC and the delivery
 * interceptors → handler. When the in-process attempts are spent, {@link FailureSettlement}
 * redelivers with a growing delay until {@link RetryPolicy#maxDeliveries()}, then dead-letters;
 * non-retryable failures go there at once. The original is acked only after the handler succeeded
 * or the dead-letter copy was confirmed. Every delivery is reported to the listeners as
 * {@code started} and exactly one terminal event.
 *
 * <p>Attempt numbering: the n-th in-process call (from 1) of the broker's d-th delivery is attempt
 * {@code (d - 1) × maxInProcessAttempts + n}.
 */
public final class ReliableDeliveryProcessor implements DeliveryProcessor {
  private final SubscriptionOptions options;
  private final RetryPolicy policy;
  private final Extensions extensions;
  private final Backoff backoff;
  private final Duration maxDelay;
  private final HandlerInvocation invocation;
  private final FailureSettlement failures;
  private final IdempotencyGuard idempotency; // null when off; read once, not per delivery

  public ReliableDeliveryProcessor(SubscriptionOptions options, MessageHandler handler,
      Extensions extensions, DeadLetterSender deadLetters, Duration maxRedeliveryDelay, Clock clock) {
    this.options = options;
    this.policy = options.retry();
    this.extensions = extensions;
    this.backoff = new Backoff(policy);
    this.maxDelay = maxRedeliveryDelay;
    String scope = options.topic() + "/" + options.group();
    this.invocation = new HandlerInvocation(handler, extensions, options.handlerTimeout());
    this.failures = new FailureSettlement(policy, deadLetters, backoff, maxRedeliveryDelay, clock, extensions, scope);
    this.idempotency = options.idempotency().map(i -> new IdempotencyGuard(i, scope)).orElse(null);
  }

  @Override
  public void process(TransportDelivery raw, HandlerWatchdog.Call call) {
    int deliveryCount = Math.max(1, raw.deliveryCount());
    long base = (long) (deliveryCount - 1) * policy.maxInProcessAttempts();
    DeliveryContext first = context(raw.message(), base + 1);
    extensions.listener().started(first);
    Undecodable undecodable = raw.undecodable().orElse(null);
    if (undecodable != null) {
      failures.deadLetter(raw, first, new PayloadDecodeException("broker entry " + undecodable.brokerId()
          + " cannot be a Courier message: " + undecodable.reason(), null), DeadLetterSender.Reason.UNDECODABLE,
          deliveryCount);
      return;
    }
    IdempotencyGuard.Claim claim = null;
    if (idempotency != null) {
      claim = idempotency.claim(raw.message());
      if (claim.outcome != IdempotencyGuard.Outcome.ACQUIRED) {
        settleUnclaimed(raw, first, claim, deliveryCount);
        return;
      }
    }
    attempts(raw, call, first, base, deliveryCount, claim);
  }

  /** The idempotency step stopped the delivery before the handler: say why, settle it. */
  private void settleUnclaimed(TransportDelivery raw, DeliveryContext first, IdempotencyGuard.Claim claim,
      int deliveryCount) {
    switch (claim.outcome) {
      // The same message will yield the same bad key every time: nothing to retry.
      case BAD_KEY -> failures.deadLetter(raw, first, claim.failure, DeadLetterSender.Reason.NON_RETRYABLE,
          deliveryCount);
      case STORE_FAILED -> failures.redeliver(raw, first, claim.failure, deliveryCount);
      case DONE -> {
        raw.ack();
        extensions.listener().duplicateSkipped(first);
      }
      default -> { // IN_PROGRESS: another consumer handles it now
        Duration lease = idempotency.idempotency().lease();
        Duration redelivery = backoff.redelivery(1, maxDelay);
        Duration delay = lease.compareTo(redelivery) <= 0 ? lease : redelivery;
        raw.defer(delay); // not an attempt: the handler did not run
        extensions.listener().redelivered(first, new CourierException("message " + first.message().id()
            + " is being handled by another consumer of the group"), delay);
      }
    }
  }

  /** The in-process retry step: up to maxInProcessAttempts handler calls, backing off between. */
  private void attempts(TransportDelivery raw, HandlerWatchdog.Call call, DeliveryContext first, long base,
      int deliveryCount, IdempotencyGuard.Claim claim) {
    int maxCalls = policy.maxInProcessAttempts();
    Throwable failure = null;
    DeliveryContext current = first;
    for (int n = 1; n <= maxCalls; n++) {
      current = n == 1 ? first : context(raw.message(), base + n);
      extensions.listener().delivered(current);
      long started = System.nanoTime();
      failure = invocation.call(current, call, new Abandoned(raw, current, deliveryCount));
      if (call.isAbandoned()) {
        return; // settled in this thread's place, which must now exit: a late result counts for nothing
      }
      if (failure != null && call.isStopping()) {
        // Interrupted by Subscription.close(): the message did nothing wrong. Hand it back
        // untouched rather than retry, redeliver with a count, or dead-letter it.
        handBack(raw, current, claim);
        return;
      }
      if (failure == null) {
        if (claim != null) {
          claim.markDone();
        }
        raw.ack();
        failures.forget(raw.message());
        CourierListener listener = extensions.listener();
        if (listener != CourierListener.NONE) { // no Duration per message when nobody listens
          listener.acked(current, Duration.ofNanos(System.nanoTime() - started));
        }
        return;
      }
      failures.rememberFailure(raw.message());
      if (!failures.retryable(failure) || n == maxCalls) {
        break;
      }
      Duration wait = backoff.inProcess(n);
      extensions.listener().retried(current, failure, wait);
      if (!pause(wait)) {
        handBack(raw, current, claim); // the subscription is stopping
        return;
      }
    }
    if (claim != null) {
      claim.release();
    }
    failures.settle(raw, current, failure, deliveryCount);
  }

  private void handBack(TransportDelivery raw, DeliveryContext current, IdempotencyGuard.Claim claim) {
    if (claim != null) {
      claim.release();
    }
    raw.release();
    extensions.listener().released(current, CourierListener.Release.CLOSING);
  }

  @Override
  public void released(TransportDelivery raw, CourierListener.Release reason, boolean alsoStarted) {
    CourierListener listener = extensions.listener();
    if (listener == CourierListener.NONE) {
      return;
    }
    int deliveryCount = Math.max(1, raw.deliveryCount());
    DeliveryContext first = context(raw.message(), (long) (deliveryCount - 1) * policy.maxInProcessAttempts() + 1);
    if (alsoStarted) {
      listener.started(first);
    }
    listener.released(first, reason);
  }

  /**
   * Settles, on the runtime's thread, a delivery whose handler ignored its timeout and was
   * abandoned: a timeout failure that skips the remaining in-process attempts (the handler is
   * still hanging in its thread). The idempotency claim is kept, not released: the abandoned
   * handler may still be doing the message's work, and the claim's lease is what stops a
   * redelivery from running it a second time concurrently; the redelivery is deferred until the
   * lease expires.
   */
  private final class Abandoned implements Abandonment {
    private final TransportDelivery raw;
    private final DeliveryContext current;
    private final int deliveryCount;

    Abandoned(TransportDelivery raw, DeliveryContext current, int deliveryCount) {
      this.raw = raw;
      this.current = current;
      this.deliveryCount = deliveryCount;
    }

    @Override
    public void run() {
      failures.rememberFailure(raw.message());
      failures.settle(raw, current, new HandlerTimeoutException(options.handlerTimeout(), null), deliveryCount);
    }

    @Override
    public void unsettled() {
      extensions.listener().released(current, CourierListener.Release.WITHDRAWN);
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
}
