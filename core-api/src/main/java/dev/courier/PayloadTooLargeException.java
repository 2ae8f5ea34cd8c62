package dev.courier;

/** A message whose payload or headers exceed the adapter's limits. Thrown before any I/O. */
public class PayloadTooLargeException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public PayloadTooLargeException(String message) {
    super(message);
  }
}
