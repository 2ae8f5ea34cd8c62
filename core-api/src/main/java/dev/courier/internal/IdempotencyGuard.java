package dev.courier.internal;

import dev.courier.Idempotency;
import dev.courier.Message;
import dev.courier.idempotency.IdempotencyStore;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The idempotency step: claims a message's key before the handler runs, marks it done after a
 * success, releases it after a failure so the redelivery can claim it. Each claim has its own
 * owner, so a consumer whose lease expired cannot release the claim of the consumer that took over.
 */
final class IdempotencyGuard {
  private static final Logger log = LoggerFactory.getLogger(IdempotencyGuard.class);

  /** What a claim attempt found; {@code failure} is set for BAD_KEY and STORE_FAILED. */
  enum Outcome { ACQUIRED, DONE, IN_PROGRESS, BAD_KEY, STORE_FAILED }

  /** One delivery's claim; release and markDone are no-ops unless it was acquired. */
  final class Claim {
    final Outcome outcome;
    final RuntimeException failure;
    private final String key;
    private final String owner;

    private Claim(Outcome outcome, String key, String owner, RuntimeException failure) {
      this.outcome = outcome;
      this.key = key;
      this.owner = owner;
      this.failure = failure;
    }

    /** The handler succeeded. A store failure is logged: the work is done, acking is right. */
    void markDone() {
      if (outcome != Outcome.ACQUIRED) {
        return;
      }
      try {
        idempotency.store().markDone(scope, key, idempotency.retention());
      } catch (RuntimeException e) {
        log.warn("could not mark idempotency key of a handled message in {} as done; a duplicate "
            + "arriving after the claim's lease of {} would be handled again", scope, idempotency.lease(), e);
      }
    }

    /** The handler failed (or the delivery goes back): let the next delivery claim the key. */
    void release() {
      if (outcome != Outcome.ACQUIRED) {
        return;
      }
      try {
        idempotency.store().release(scope, key, owner);
      } catch (RuntimeException e) {
        log.warn("could not release an idempotency claim in {}; the redelivery waits for its lease of {}",
            scope, idempotency.lease(), e);
      }
    }
  }

  private final Idempotency idempotency;
  private final String scope;
  /** Claim owners: this guard's random prefix and a counter, unique across processes. */
  private final String ownerPrefix = UUID.randomUUID() + ":";
  private final AtomicLong claims = new AtomicLong();

  IdempotencyGuard(Idempotency idempotency, String scope) {
    this.idempotency = idempotency;
    this.scope = scope;
  }

  Idempotency idempotency() {
    return idempotency;
  }

  Claim claim(Message message) {
    String key;
    try {
      key = idempotency.keyFunction().apply(message);
      if (key == null || key.isEmpty()) {
        throw new IllegalStateException("the idempotency key function returned "
            + (key == null ? "null" : "an empty string"));
      }
    } catch (RuntimeException e) {
      return new Claim(Outcome.BAD_KEY, null, null, e);
    }
    String owner = ownerPrefix + claims.incrementAndGet();
    IdempotencyStore.Claim found;
    try {
      found = idempotency.store().tryClaim(scope, key, owner, idempotency.lease());
    } catch (RuntimeException e) {
      return new Claim(Outcome.STORE_FAILED, key, owner, e);
    }
    Outcome outcome = switch (found) {
      case ACQUIRED -> Outcome.ACQUIRED;
      case DONE -> Outcome.DONE;
      case IN_PROGRESS -> Outcome.IN_PROGRESS;
    };
    return new Claim(outcome, key, owner, null);
  }
}
