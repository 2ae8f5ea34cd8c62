package dev.courier;

/** Optional features an adapter declares in {@link Capabilities}; the TCK checks each claim. */
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
  /** The broker itself can dead-letter after a number of deliveries. */
  NATIVE_DEAD_LETTER,
  /** A group can be moved back to re-read earlier messages. */
  REPLAY,
  /** Messages of a topic can be read without consuming them (dead-letter peek). */
  PEEK,
  /** Several publishes can be committed atomically. */
  TRANSACTIONS
}
