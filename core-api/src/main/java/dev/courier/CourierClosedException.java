package dev.courier;

/** The {@link Courier}, publisher or subscription was already closed. */
public class CourierClosedException extends CourierException {
  private static final long serialVersionUID = 1L;

  public CourierClosedException(String message) {
    super(message);
  }
}
