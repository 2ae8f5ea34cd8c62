package dev.courier;

import java.time.Duration;

/**
 * A handler ran longer than its subscription's {@link SubscriptionOptions#handlerTimeout()} and was
 * interrupted. The reliability layer treats it as an ordinary handler failure (retryable unless the
 * {@link RetryPolicy} says otherwise).
 */
public class HandlerTimeoutException extends CourierException {
  private static final long serialVersionUID = 1L;

  public HandlerTimeoutException(Duration timeout, Throwable cause) {
    super("handler ran longer than its timeout of " + timeout + " (SubscriptionOptions.handlerTimeout) and was interrupted", cause);
  }
}
