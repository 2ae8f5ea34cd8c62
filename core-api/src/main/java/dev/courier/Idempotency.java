package dev.courier;

import dev.courier.internal.Durations;
import dev.courier.idempotency.IdempotencyStore;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Function;

/**
 * Makes a subscription's handler see each message once per group: a duplicate whose key was
 * already handled is acked without calling the handler. The key is the message id unless
 * {@link #withKey} says otherwise; keys are scoped by topic and group ({@code topic/group}).
 *
 * <p>Per delivery: claim the key; if it is done, ack and skip; if another consumer holds the claim,
 * return the message to the broker for later; else run the retries and the handler. Success marks
 * the key done for {@link #retention()}; failure releases the claim, so a redelivery, or a redrive
 * from the dead-letter topic, is handled again. If the store itself fails, the message goes back
 * to the broker and the handler is not called. A key function that throws or returns an empty
 * key dead-letters the message (it would fail the same way every time). Immutable.
 */
public final class Idempotency {
  private final IdempotencyStore store;
  private final Function<Message, String> keyFunction;
  private final Duration lease;
  private final Duration retention;

  private Idempotency(IdempotencyStore store, Function<Message, String> keyFunction,
      Duration lease, Duration retention) {
    this.store = store;
    this.keyFunction = keyFunction;
    this.lease = lease;
    this.retention = retention;
  }

  /** Keyed by message id; claims held 5 minutes at most; handled keys remembered 24 hours. */
  public static Idempotency using(IdempotencyStore store) {
    return new Idempotency(Objects.requireNonNull(store, "store"), Message::id,
        Duration.ofMinutes(5), Duration.ofHours(24));
  }

  /** Derive the key from the message; the function must return a non-empty string. */
  public Idempotency withKey(Function<Message, String> keyFunction) {
    return new Idempotency(store, Objects.requireNonNull(keyFunction, "keyFunction"), lease, retention);
  }

  /**
   * How long a claim blocks other consumers if its holder dies without releasing it. This and the
   * retention are capped at 36,500 days.
   */
  public Idempotency withLease(Duration lease) {
    return new Idempotency(store, keyFunction, positive(lease, "lease"), retention);
  }

  /** How long a handled key is remembered. */
  public Idempotency withRetention(Duration retention) {
    return new Idempotency(store, keyFunction, lease, positive(retention, "retention"));
  }

  public IdempotencyStore store() {
    return store;
  }

  public Function<Message, String> keyFunction() {
    return keyFunction;
  }

  public Duration lease() {
    return lease;
  }

  public Duration retention() {
    return retention;
  }

  @Override
  public String toString() {
    return "Idempotency{store=" + store.getClass().getSimpleName() + ", lease=" + lease
        + ", retention=" + retention + '}';
  }

  private static Duration positive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, was " + d);
    }
    return Durations.capped(d);
  }
}
