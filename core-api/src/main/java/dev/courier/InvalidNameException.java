package dev.courier;

/** A topic or group name that the adapter's broker would reject. Thrown before any I/O. */
public class InvalidNameException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public InvalidNameException(String message) {
    super(message);
  }
}
