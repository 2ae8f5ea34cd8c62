package dev.courier.kafka.internal;

/**
 * When a {@link KafkaReceiver} relays a held delay-topic record to the tail of the delay topic (the
 * original is done once the copy is confirmed). Commits stop at the first record not done, so a
 * held record would pin its partition: a 1-day delay followed by a million short ones, handled,
 * would have every new owner hand the million over again. Relayed: every held record of the
 * partitions given up (revoke, close; a copy not confirmed in time leaves its original uncommitted:
 * possibly duplicated, never lost); the farthest-due beyond maxHeld ({@link #overflow}: in a lasting
 * overload they circulate about once a minute); those older than half the lag when a commit lags
 * {@value #PIN_RELAY_LAG} offsets ({@link #pinCutoff}), so a crash hands over again at most about
 * that many records per partition. Pure; the poll thread's alone.
 */
final class RelayRules {
  /** Relays of the farthest held records beyond maxHeld, at most one batch this often. */
  static final long OVERFLOW_RELAY_INTERVAL_MILLIS = 1_000;
  /** The longest interval between overflow relays while an overload lasts (bounds the rewrites). */
  static final long MAX_OVERFLOW_RELAY_INTERVAL_MILLIS = 60_000;
  /** Offsets a partition's commit may lag behind what was read before its pinning held records are relayed. */
  static final long PIN_RELAY_LAG = 10_000;

  private final int maxHeld;
  private long nextOverflowRelayAt;
  private long overflowRelayInterval = OVERFLOW_RELAY_INTERVAL_MILLIS;

  RelayRules(int maxHeld) {
    this.maxHeld = maxHeld;
  }

  int maxHeld() {
    return maxHeld;
  }

  /**
   * How many of the farthest-due held records to relay now: the excess over maxHeld, at most once
   * per interval, which doubles (up to a minute) while the overload lasts, so copies are not read
   * straight back in a loop, and starts over after a quiet interval.
   */
  int overflow(int held, long now) {
    int excess = held - maxHeld;
    if (excess <= 0) {
      if (now >= nextOverflowRelayAt + overflowRelayInterval) {
        overflowRelayInterval = OVERFLOW_RELAY_INTERVAL_MILLIS; // a quiet interval: the overload is over
      }
      return 0;
    }
    if (now < nextOverflowRelayAt) {
      return 0;
    }
    nextOverflowRelayAt = now + overflowRelayInterval;
    overflowRelayInterval = Math.min(MAX_OVERFLOW_RELAY_INTERVAL_MILLIS, overflowRelayInterval * 2);
    return excess;
  }

  /** Whether to pause every partition: maxHeld records are held and relays are in flight or the interval runs. */
  boolean pause(int held, int relaying, long now) {
    return held >= maxHeld && (relaying > 0 || now < nextOverflowRelayAt);
  }

  /**
   * The offset below which a partition's held records are relayed, or -1: when its commit
   * {@code position} (-1: nothing read) lags {@code next} by over the lag, and another half lag was
   * read since {@code checkedAt} (the last cutoff's {@code next}: the pin may be a record in flight).
   */
  static long pinCutoff(long position, long next, long checkedAt) {
    if (position < 0 || next - position <= PIN_RELAY_LAG || next - checkedAt < PIN_RELAY_LAG / 2) {
      return -1;
    }
    return next - PIN_RELAY_LAG / 2;
  }
}
