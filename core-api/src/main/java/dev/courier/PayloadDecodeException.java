package dev.courier;

/**
 * A payload could not be decoded by a {@link Codec}. Retrying cannot help, so the reliability
 * layer dead-letters such a message at once.
 */
public class PayloadDecodeException extends CourierException {
  private static final long serialVersionUID = 1L;

  public PayloadDecodeException(String message, Throwable cause) {
    super(message, cause);
  }
}
