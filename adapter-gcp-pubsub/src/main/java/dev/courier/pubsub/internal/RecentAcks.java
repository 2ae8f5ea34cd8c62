package dev.courier.pubsub.internal;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The messages one receiver acked lately, by {@link HandBacks#key hand-back key}, so that a copy
 * Pub/Sub delivers again is acked at once instead of being handed to a handler a second time. On
 * a subscription with message ordering, a nack (or an expired deadline) makes Pub/Sub redeliver
 * the key's later messages too, including those handled and acked meanwhile: without this, every
 * failure of an ordered message multiplies the messages after it. Bounded (oldest forgotten
 * first), so a copy arriving long after can still reach a handler again, as at-least-once allows.
 * Thread-safe.
 */
final class RecentAcks {
  private final Map<String, Boolean> keys;

  RecentAcks(int capacity) {
    this.keys = new LinkedHashMap<>() {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
        return size() > capacity;
      }
    };
  }

  synchronized void add(String key) {
    keys.put(key, Boolean.TRUE);
  }

  synchronized boolean contains(String key) {
    return keys.containsKey(key);
  }
}
