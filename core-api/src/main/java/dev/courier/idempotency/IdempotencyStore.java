package dev.courier.idempotency;

import java.time.Duration;

/**
 * Remembers which messages a group has handled, so duplicates never reach the handler. The
 * protocol per delivery: {@link #tryClaim} → handle → {@link #markDone} on success or
 * {@link #release} on failure. Implementations must be safe under concurrent callers, including
 * callers in other processes for shared stores: a claim is one atomic operation, never
 * check-then-act.
 *
 * <p>Every claim carries an {@code owner} token, unique to that claim attempt, that the caller
 * passes again to {@link #release}: a consumer whose lease expired while it was still handling, and
 * was taken over, must not release the claim of the consumer that took over.
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
   * Claims {@code key} within {@code scope} for {@code lease} on behalf of {@code owner}; an
   * expired claim can be taken over (and then belongs to the new owner).
   */
  Claim tryClaim(String scope, String key, String owner, Duration lease);

  /** Records that {@code key} was handled; it is remembered for {@code retention}. */
  void markDone(String scope, String key, Duration retention);

  /**
   * Drops {@code owner}'s claim so a redelivery can handle the message. Does nothing when the key
   * is done, unclaimed, or claimed by another owner (the caller's lease expired and was taken over).
   */
  void release(String scope, String key, String owner);

  @Override
  default void close() {}
}
