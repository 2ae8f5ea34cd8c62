package dev.courier;

/**
 * Optional features an adapter declares in {@link Capabilities}. Each has a TCK rule that fails an
 * adapter claiming it wrongly; a feature no rule can check is not a capability.
 */
public enum Capability {
  /** Several groups on one topic each receive every message. */
  FAN_OUT,
  /** Messages with the same key are handled one at a time, in publish order. */
  ORDERED_BY_KEY,
  /** Confirmed messages survive a broker restart. */
  PERSISTENT,
  /** A delivery can be returned to the broker for redelivery after a delay. */
  DELAYED_REDELIVERY,
  /** A message can be published to become visible only after a delay. */
  DELAYED_PUBLISH,
  /**
   * The messages waiting in a group can be read, oldest first, without consuming, locking or
   * counting them ({@link DeadLetters#peek}); the transport implements
   * {@link dev.courier.spi.TopicBrowser}.
   */
  PEEK
}
