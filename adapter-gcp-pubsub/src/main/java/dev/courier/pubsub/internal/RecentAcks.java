package dev.courier.pubsub.internal;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The messages one receiver acked lately, by {@link HandBacks#key hand-back key}, so that a copy
 * Pub/Sub delivers again is acked at once instead of being handed to a handler a second time. On
 * a subscription with message ordering, a nack (or an expired deadline) makes Pub/Sub redeliver
 * the key's later messages too, including those handled and acked meanwhile: without this, every
 * failure of an ordered message multiplies the messages after it. Bounded in number (oldest
 * forgotten first) and in time ({@code ttlNanos}: a seek back to a snapshot, which an operator makes
 * to have messages handled again, replays copies that arrive later than any ordered redelivery), so a
 * copy arriving long after reaches a handler again, as at-least-once allows. Thread-safe.
 */
final class RecentAcks {
  private final Map<String, Long> ackedAt;
  private final long ttlNanos;

  RecentAcks(int capacity, long ttlNanos) {
    this.ttlNanos = ttlNanos;
    this.ackedAt = new LinkedHashMap<>() {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
        return size() > capacity;
      }
    };
  }

  synchronized void add(String key) {
    ackedAt.remove(key); // to the end: the newest
    ackedAt.put(key, System.nanoTime());
  }

  /** Whether {@code key} was acked here within the time to live. */
  synchronized boolean contains(String key) {
    Long at = ackedAt.get(key);
    return at != null && System.nanoTime() - at < ttlNanos;
  }
}
