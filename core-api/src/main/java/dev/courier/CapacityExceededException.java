package dev.courier;

/** The broker refused a message because a bounded buffer (a group's backlog) is full. */
public class CapacityExceededException extends PublishException {
  private static final long serialVersionUID = 1L;

  public CapacityExceededException(String message) {
    super(message);
  }
}
