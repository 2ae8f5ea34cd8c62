package dev.courier.spi.support;

import java.time.Duration;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff for reconnects, republishes and relays: attempt {@code n} (from 1) waits
 * {@code initial × multiplier^(n-1)}, at most {@code max}, less a random share of up to {@code
 * jitter} of it (so receivers that failed together do not retry together). Immutable and pure.
 */
public final class Backoff {
  private final long initialMillis;
  private final long maxMillis;
  private final double multiplier;
  private final double jitter;

  private Backoff(long initialMillis, long maxMillis, double multiplier, double jitter) {
    this.initialMillis = initialMillis;
    this.maxMillis = maxMillis;
    this.multiplier = multiplier;
    this.jitter = jitter;
  }

  /** Doubling from {@code initial} up to {@code max}, without jitter. */
  public static Backoff exponential(Duration initial, Duration max) {
    Objects.requireNonNull(initial, "initial");
    Objects.requireNonNull(max, "max");
    if (initial.isNegative() || initial.isZero()) {
      throw new IllegalArgumentException("initial must be positive, was " + initial);
    }
    if (max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("max (" + max + ") must not be less than initial (" + initial + ")");
    }
    return new Backoff(initial.toMillis(), max.toMillis(), 2.0, 0.0);
  }

  /** A copy growing by {@code multiplier} (at least 1) per attempt. */
  public Backoff withMultiplier(double multiplier) {
    if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
      throw new IllegalArgumentException("multiplier must be finite and at least 1, was " + multiplier);
    }
    return new Backoff(initialMillis, maxMillis, multiplier, jitter);
  }

  /** A copy taking off a random share, from 0 up to {@code jitter} (0 to 1), of each delay. */
  public Backoff withJitter(double jitter) {
    if (!(jitter >= 0.0 && jitter <= 1.0)) {
      throw new IllegalArgumentException("jitter must be between 0 and 1, was " + jitter);
    }
    return new Backoff(initialMillis, maxMillis, multiplier, jitter);
  }

  /** Milliseconds to wait before attempt {@code attempt} (1 for the first retry). */
  public long delayMillis(int attempt) {
    return delayMillis(attempt, jitter == 0 ? null : ThreadLocalRandom.current());
  }

  /** As {@link #delayMillis(int)}, drawing the jitter from {@code random}. */
  public long delayMillis(int attempt, Random random) {
    if (attempt < 1) {
      throw new IllegalArgumentException("attempt must be at least 1, was " + attempt);
    }
    double grown = initialMillis * Math.pow(multiplier, attempt - 1); // may be infinite: capped below
    long capped = (long) Math.min(maxMillis, grown);
    if (jitter == 0) {
      return capped;
    }
    return capped - (long) (capped * jitter * random.nextDouble());
  }

  /** The {@link #delayMillis(int)} as a duration. */
  public Duration delay(int attempt) {
    return Duration.ofMillis(delayMillis(attempt));
  }

  /** The longest delay, reached once the growth hits it. */
  public long maxMillis() {
    return maxMillis;
  }

  @Override
  public String toString() {
    return "Backoff{initial=" + initialMillis + "ms, max=" + maxMillis + "ms, x" + multiplier + ", jitter=" + jitter + '}';
  }
}
