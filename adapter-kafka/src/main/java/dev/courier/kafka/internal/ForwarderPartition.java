package dev.courier.kafka.internal;

import java.util.Iterator;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.TopicPartition;

/**
 * A {@link DelayedForwarder}'s assigned partition of the delayed-publish topic: the offsets read and not yet done
 * (held, or forwarded or relayed without acknowledgement), so the commit position is the first of them.
 */
final class ForwarderPartition {
  final TopicPartition tp;
  /** Removed from by producer callbacks; added to by the poll thread only. */
  final ConcurrentSkipListSet<Long> open = new ConcurrentSkipListSet<>();
  /** Forwards and relays handed to the producer and not yet acknowledged or failed. */
  final AtomicInteger sending = new AtomicInteger();
  long next = -1; // poll thread: offset after the last record read
  long pinCheckedAt = Long.MIN_VALUE / 2; // poll thread: next when pinning records were last looked for
  /** Confirmed committed position; set only once the broker accepted the commit. */
  volatile long committed = -1;
  volatile boolean revoked;

  ForwarderPartition(TopicPartition tp) {
    this.tp = tp;
  }

  /** The first offset not yet done, else the one after the last read; -1 if none read. */
  long position() {
    Iterator<Long> it = open.iterator();
    return it.hasNext() ? it.next() : next;
  }
}
