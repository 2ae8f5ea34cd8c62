package dev.courier;

/**
 * The group exists with options the broker fixed when it was created, and they cannot give what was
 * asked (for one: it was created unordered and a subscription asks for {@code orderedByKey}). The
 * message names the group and what differs; delete the group on the broker (it is created again
 * with the new options), or use a new group name.
 */
public class IncompatibleGroupException extends CourierException {
  private static final long serialVersionUID = 1L;

  public IncompatibleGroupException(String message) {
    super(message);
  }

  public IncompatibleGroupException(String message, Throwable cause) {
    super(message, cause);
  }
}
