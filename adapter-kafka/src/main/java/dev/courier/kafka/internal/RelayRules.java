package dev.courier.kafka.internal;

/**
 * When a {@link KafkaReceiver} relays a held delay-topic record: writes a copy of it (same
 * partition, key, value and headers, due time, delivery count and group included) to the tail of
 * the delay topic and, once the broker acknowledged the copy, counts the original as done, so the
 * partition's commit moves past it. Whoever owns the partition then reads the copy like any other
 * record.
 *
 * <p>Why: commits stop at the first record not yet done, so a held record would pin its
 * partition's position; a 1-day delay followed by a million short ones, handled, would make every
 * new owner hand the million over again. A held record is therefore relayed
 * <ul>
 *   <li>on revocation and on close, for every held record of the partitions given up (a copy not
 *       acknowledged within the revoke or close timeout leaves its original uncommitted: nothing is
 *       lost, only possibly duplicated);
 *   <li>when more than {@code maxHeld} records are held ({@link #overflow}): the farthest-due ones
 *       beyond the bound, at most once per interval, which starts at
 *       {@value #OVERFLOW_RELAY_INTERVAL_MILLIS} ms and doubles up to
 *       {@value #MAX_OVERFLOW_RELAY_INTERVAL_MILLIS} ms while the overload lasts (back to the start
 *       after a quiet interval), so the copies are not read straight back in a loop; while the
 *       bound is reached and copies are in flight or the interval runs, the delay partitions are
 *       paused ({@link #pause}). In a lasting overload the farthest records circulate through the
 *       topic about once a minute, and a short delay meanwhile may wait several intervals (each lets
 *       one poll of records through);
 *   <li>when a partition's commit position lags more than {@value #PIN_RELAY_LAG} offsets behind
 *       what was read ({@link #pinCutoff}): its held records older than half that lag, so a crash
 *       hands over again at most about {@value #PIN_RELAY_LAG} records per partition.
 * </ul>
 * A failed copy is retried by the receiver's republisher until its partition goes or the receiver
 * closes; then the original stays uncommitted for the next owner.
 *
 * <p>Pure: times are passed in, nothing is read or written. The poll thread's alone.
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
   * How many of the farthest-due held records to relay now, with {@code held} records held at
   * {@code now}: the excess over maxHeld, if the last overflow relay is an interval ago; else 0.
   * A positive answer starts the next, doubled interval.
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
   * For a partition whose commit position is {@code position} (-1: nothing read) and whose next
   * offset to read is {@code next}: the offset below which its held records pin the commit and are
   * to be relayed, or -1 if none are. {@code checkedAt} is {@code next} when a cutoff was last
   * given for the partition: it is given again only after another half lag was read (the pin may
   * be a record in flight, which is not relayed).
   */
  static long pinCutoff(long position, long next, long checkedAt) {
    if (position < 0 || next - position <= PIN_RELAY_LAG || next - checkedAt < PIN_RELAY_LAG / 2) {
      return -1;
    }
    return next - PIN_RELAY_LAG / 2;
  }
}
