package dev.courier.pubsub.internal;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Deliveries handed back without a handler failure (release, defer, a closing receiver's return),
 * per subscription and Pub/Sub message id, so that the next delivery of the message does not count
 * them: Pub/Sub counts every delivery, hand-backs included. Kept in this process only (bounded,
 * oldest forgotten first): a message handed back here and delivered to another process counts the
 * hand-back there. Forgotten when Pub/Sub confirmed the message's ack. Thread-safe.
 */
public final class HandBacks {
  private static final int MAX_ENTRIES = 100_000;

  private final Map<String, Integer> counts = new LinkedHashMap<>() {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
      return size() > MAX_ENTRIES;
    }
  };

  static String key(String subscription, String messageId) {
    return subscription + '\n' + messageId;
  }

  public synchronized void handedBack(String key) {
    counts.merge(key, 1, Integer::sum);
  }

  synchronized int uncounted(String key) {
    return counts.getOrDefault(key, 0);
  }

  synchronized void settled(String key) {
    counts.remove(key);
  }
}
