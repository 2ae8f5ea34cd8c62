package dev.courier.sqs.internal;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Receives of FIFO messages that must not count as deliveries (a release, a defer, a delayed publish
 * hidden until due, what a closing receiver held unstarted), per queue and SQS message id. On a FIFO
 * queue such a message is handed back with a visibility change, not as a copy (a copy would go to
 * the end of its group, behind later messages of its key), so SQS's {@code ApproximateReceiveCount}
 * keeps counting them; the next receive subtracts what was noted here. Transports share {@link #shared()},
 * one per process: several transports of one process may consume one queue, and a message handed
 * back by one and received by another must not count there either. Kept in this process only
 * (bounded, the least recently used forgotten first): a message handed back here and received by
 * another process counts the hand-back there. Thread-safe.
 */
public final class UncountedReceives {
  private static final int MAX_ENTRIES = 100_000;
  private static final UncountedReceives SHARED = new UncountedReceives();

  private final Map<String, Integer> counts = new LinkedHashMap<>(16, 0.75f, true) {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
      return size() > MAX_ENTRIES;
    }
  };

  /** The notes of this process, which every transport uses. */
  public static UncountedReceives shared() {
    return SHARED;
  }

  private static String key(String queueUrl, String sqsMessageId) {
    return queueUrl + '\n' + sqsMessageId;
  }

  /** Notes one receive of the message that is not to count. */
  public synchronized void add(String queueUrl, String sqsMessageId) {
    counts.merge(key(queueUrl, sqsMessageId), 1, Integer::sum);
  }

  /** The receives of the message noted so far. */
  public synchronized int of(String queueUrl, String sqsMessageId) {
    return counts.getOrDefault(key(queueUrl, sqsMessageId), 0);
  }

  /** Forgets the message (deleted, or handed on as a copy). */
  public synchronized void forget(String queueUrl, String sqsMessageId) {
    counts.remove(key(queueUrl, sqsMessageId));
  }
}
