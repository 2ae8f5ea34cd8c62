package dev.courier.idempotency;

import dev.courier.CourierException;

/**
 * An {@link IdempotencyStore} could not reach or update its storage. The reliability layer neither
 * calls the handler nor acks when a claim fails this way: the message is redelivered later.
 */
public class IdempotencyStoreException extends CourierException {
  private static final long serialVersionUID = 1L;

  public IdempotencyStoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
