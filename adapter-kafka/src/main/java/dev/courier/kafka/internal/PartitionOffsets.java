package dev.courier.kafka.internal;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.TopicPartition;

/**
 * One assigned partition's records read and not yet done, by offset: its commit position is the
 * first of them, so the group never commits past a record not done, however completions interleave.
 * The poll thread reads and opens records; any thread marks one done.
 */
final class PartitionOffsets<T> {
  final TopicPartition tp;
  private final ConcurrentSkipListMap<Long, T> open = new ConcurrentSkipListMap<>();
  /** Records handed on (to a handler, to the producer) whose outcome is not known yet. */
  final AtomicInteger busy = new AtomicInteger();
  long next = -1; // poll thread: offset after the last record read; -1: none read
  // Poll thread: records read from the position on, so behind() counts records, not offsets (which may
  // have gaps), as runs {first offset, count}. Each open record starts a run, and the position is
  // always a run's start (or next), so the runs before it can be dropped whole.
  private final ArrayDeque<long[]> readRuns = new ArrayDeque<>();
  private long readFromPosition;
  long pinCheckedAt = Long.MIN_VALUE / 2; // poll thread: next when pinning records were last looked for
  /** Position the broker confirmed committed. */
  volatile long committed = -1;
  /** Set when the partition is revoked or lost: its records no longer affect commits. */
  volatile boolean revoked;

  PartitionOffsets(TopicPartition tp) {
    this.tp = tp;
  }

  /** A record read and done at once (nothing to do with it). */
  void read(long offset) {
    counted(offset, false);
  }

  /** A record read and not done yet. */
  void open(long offset, T item) {
    open.put(offset, item);
    counted(offset, true);
  }

  /** Counts a record read for the first time (not again after a seek back). */
  private void counted(long offset, boolean opened) {
    if (offset < next) {
      return;
    }
    next = offset + 1;
    long[] last = readRuns.peekLast();
    if (opened || last == null) {
      readRuns.addLast(new long[] {offset, 1});
    } else {
      last[1]++;
    }
    readFromPosition++;
    prune();
  }

  /** Forgets the records read before the position. */
  private void prune() {
    long p = position();
    long[] first;
    while ((first = readRuns.peekFirst()) != null && first[0] < p) {
      readRuns.pollFirst();
      readFromPosition -= first[1];
    }
  }

  /** What is open at {@code offset}; null if done or never opened. */
  T openAt(long offset) {
    return open.get(offset);
  }

  /** What is open at the position (the first record not done); null if none. */
  T first() {
    Map.Entry<Long, T> first = open.firstEntry();
    return first != null ? first.getValue() : null;
  }

  /** Marks done the record at {@code offset}, if {@code item} still stands for it. */
  void done(long offset, T item) {
    open.remove(offset, item);
  }

  /** The position to commit: the first offset not done, or the one after the last read; -1 if none read. */
  long position() {
    Map.Entry<Long, T> first = open.firstEntry();
    return first != null ? first.getKey() : next;
  }

  /** How many records were read from the first not done on (records, not offsets: offsets may have gaps). Poll thread. */
  long behind() {
    prune();
    return readFromPosition;
  }

  Collection<T> openItems() {
    return open.values();
  }
}
