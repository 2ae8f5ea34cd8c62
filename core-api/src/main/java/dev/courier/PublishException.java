package dev.courier;

/**
 * The broker did not confirm a message: it refused it, the connection failed, or no confirmation
 * arrived within the publish timeout. The message may or may not have been stored; publishing it
 * again is safe when consumers are idempotent.
 */
public class PublishException extends CourierException {
  private static final long serialVersionUID = 1L;

  public PublishException(String message) {
    super(message);
  }

  public PublishException(String message, Throwable cause) {
    super(message, cause);
  }
}
