package dev.courier.internal;

import dev.courier.CourierMdc;
import dev.courier.DeliveryInterceptor;
import dev.courier.HandlerTimeoutException;
import dev.courier.MessageHandler;
import java.time.Duration;
import org.slf4j.MDC;

/**
 * The innermost step of the failure path: one handler call under its timeout (the watchdog
 * interrupts it, then abandons it), with the MDC set and the delivery interceptors around it.
 * The interceptor chain is composed once per registration, not per call, so a subscription with
 * no interceptors calls its handler directly.
 */
final class HandlerInvocation {
  private record Chain(DeliveryInterceptor[] interceptors, MessageHandler handler) {}

  /** The MDC's attempt values for the usual attempts, so putting them allocates nothing. */
  private static final String[] ATTEMPTS = new String[33];

  static {
    for (int i = 0; i < ATTEMPTS.length; i++) {
      ATTEMPTS[i] = Integer.toString(i);
    }
  }

  private final MessageHandler handler;
  private final Extensions extensions;
  private final Duration timeout;
  private final long timeoutNanos;
  private volatile Chain chain;

  HandlerInvocation(MessageHandler handler, Extensions extensions, Duration timeout) {
    this.handler = handler;
    this.extensions = extensions;
    this.timeout = timeout;
    this.timeoutNanos = timeout.toNanos();
    DeliveryInterceptor[] now = extensions.deliveryInterceptors();
    this.chain = new Chain(now, compose(now));
  }

  /**
   * What the innermost link of an interceptor chain saw during the current call on this thread:
   * whether the interceptors called the handler exactly once, and what it threw.
   */
  private static final class CallCheck {
    int entered;
    Throwable thrown;
  }

  private static final ThreadLocal<CallCheck> CHECK = ThreadLocal.withInitial(CallCheck::new);

  private MessageHandler compose(DeliveryInterceptor[] interceptors) {
    if (interceptors.length == 0) {
      return handler;
    }
    return Extensions.compose(interceptors, d -> {
      CallCheck check = CHECK.get();
      check.entered++;
      try {
        handler.handle(d);
      } catch (Throwable t) {
        check.thrown = t;
        throw t;
      }
    });
  }

  /**
   * Calls the handler once; null on success, else the failure, a {@link HandlerTimeoutException}
   * if the call outlived its timeout. {@code settleIfAbandoned} settles the delivery on another
   * thread should the call be abandoned (then whatever this returns counts for nothing).
   */
  Throwable call(DeliveryContext delivery, HandlerWatchdog.Call call, Runnable settleIfAbandoned) {
    MessageHandler h = handler();
    boolean mdc = extensions.handlerMdc();
    Throwable failure = null;
    call.start(timeoutNanos, settleIfAbandoned);
    try {
      if (mdc) {
        MDC.put(CourierMdc.MESSAGE_ID, delivery.message().id());
        MDC.put(CourierMdc.TOPIC, delivery.topic());
        MDC.put(CourierMdc.GROUP, delivery.group());
        int attempt = delivery.attempt();
        MDC.put(CourierMdc.ATTEMPT, attempt >= 0 && attempt < ATTEMPTS.length ? ATTEMPTS[attempt] : Integer.toString(attempt));
      }
      if (h == handler) {
        h.handle(delivery);
      } else {
        failure = callIntercepted(h, delivery);
      }
    } catch (Throwable t) { // an Error is a failed message, not a dead consumer
      failure = t;
    } finally {
      if (mdc) {
        MDC.remove(CourierMdc.MESSAGE_ID);
        MDC.remove(CourierMdc.TOPIC);
        MDC.remove(CourierMdc.GROUP);
        MDC.remove(CourierMdc.ATTEMPT);
      }
    }
    if (call.end()) {
      failure = new HandlerTimeoutException(timeout, failure);
    }
    return failure;
  }

  /**
   * Calls the chain; an interceptor that returned normally without calling the handler exactly
   * once, or after swallowing what the handler threw, fails the call: acking would lose a message
   * the handler never saw or could not handle.
   */
  private static Throwable callIntercepted(MessageHandler chain, DeliveryContext delivery) throws Exception {
    CallCheck check = CHECK.get();
    check.entered = 0;
    check.thrown = null;
    chain.handle(delivery);
    if (check.entered != 1) {
      return new IllegalStateException("a DeliveryInterceptor returned after calling next.handle " + check.entered
          + " times instead of once; the delivery is treated as failed");
    }
    if (check.thrown != null) {
      return check.thrown; // swallowed by an interceptor: still the handler's failure
    }
    return null;
  }

  private MessageHandler handler() {
    DeliveryInterceptor[] now = extensions.deliveryInterceptors();
    Chain c = chain;
    if (c.interceptors() != now) { // an interceptor was registered since: compose once more
      c = new Chain(now, compose(now));
      chain = c;
    }
    return c.handler();
  }
}
