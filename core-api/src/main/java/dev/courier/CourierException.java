package dev.courier;

/**
 * Base of Courier's unchecked exceptions: everything the library throws for a reason other than a
 * bad argument. Bad arguments get {@link IllegalArgumentException} or {@link NullPointerException}
 * (or one of their typed subclasses such as {@link InvalidNameException}) naming the parameter.
 */
public class CourierException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public CourierException(String message) {
    super(message);
  }

  public CourierException(String message, Throwable cause) {
    super(message, cause);
  }
}
