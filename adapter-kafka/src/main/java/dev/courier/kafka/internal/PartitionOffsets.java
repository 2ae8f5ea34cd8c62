package dev.courier.kafka.internal;

import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.TopicPartition;

/**
 * The records of one assigned partition that the group has not committed yet, by offset. The
 * commit position is the offset of the first record not yet done, so the group never commits past
 * a record whose handler did not finish, however the handlers' completions interleave. The map is
 * the poll thread's alone; handlers only flip a delivery's flags.
 */
final class PartitionOffsets {
  final TopicPartition partition;
  private final TreeMap<Long, KafkaDelivery> open = new TreeMap<>();
  private long next = -1; // offset after the last record seen; -1: none seen
  private long committed = -1; // last position committed (or being committed)
  /** Handed to the sink and neither done nor given back. */
  final AtomicInteger outstanding = new AtomicInteger();
  /** Set when the partition is revoked or lost: its deliveries no longer affect commits. */
  volatile boolean revoked;

  PartitionOffsets(TopicPartition partition) {
    this.partition = partition;
  }

  /**
   * Tracks a record. A record read again after a seek back is tracked (and to be handed over) only
   * if its earlier delivery was released; otherwise it is pending, running or done already and
   * false is returned.
   */
  boolean add(KafkaDelivery d) {
    long offset = d.offset();
    if (offset < next) {
      KafkaDelivery earlier = open.get(offset);
      if (earlier == null || !earlier.isReleased()) {
        return false;
      }
    }
    open.put(offset, d);
    next = Math.max(next, offset + 1);
    return true;
  }

  /** The position to commit: the first offset not done, or the one after the last seen. -1 if none seen. */
  long position() {
    Map.Entry<Long, KafkaDelivery> head;
    while ((head = open.firstEntry()) != null && head.getValue().isDone()) {
      open.pollFirstEntry();
    }
    return head != null ? head.getKey() : next;
  }

  /** The position if it moved since the last commit, else -1. */
  long positionToCommit() {
    long p = position();
    return p > committed ? p : -1;
  }

  void committed(long position) {
    committed = Math.max(committed, position);
  }

  void commitFailed() {
    committed = -1;
  }

  /** Records tracked from the first one not done on. */
  int size() {
    position();
    return open.size();
  }

  Collection<KafkaDelivery> deliveries() {
    return open.values();
  }
}
