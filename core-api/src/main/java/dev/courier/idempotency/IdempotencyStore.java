package dev.courier.idempotency;

import java.time.Duration;

/**
 * Remembers which messages a group has handled, so duplicates never reach the handler. The
 * protocol per delivery: {@link #tryClaim} → handle → {@link #markDone} on success or
 * {@link #release} on failure. Implementations must be safe under concurrent callers, including
 * callers in other processes for shared stores: a claim is one atomic operation, never
 * check-then-act.
 */
public interface IdempotencyStore extends AutoCloseable {
  /** Outcome of {@link #tryClaim}. */
  enum Claim {
    /** The caller owns the key now and must handle the message, then mark it done or release it. */
    ACQUIRED,
    /** Another consumer holds an unexpired claim: the message is being handled elsewhere. */
    IN_PROGRESS,
    /** The key was handled already: skip the message. */
    DONE
  }

  /**
   * Claims {@code key} within {@code scope} for {@code lease}; an expired claim can be taken over.
   */
  Claim tryClaim(String scope, String key, Duration lease);

  /** Records that {@code key} was handled; it is remembered for {@code retention}. */
  void markDone(String scope, String key, Duration retention);

  /** Drops the caller's claim so a redelivery can handle the message. */
  void release(String scope, String key);

  @Override
  default void close() {}
}
