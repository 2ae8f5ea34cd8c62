package dev.courier.kafka.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A poll thread's assigned partitions and their commits: asynchronously every interval the moved
 * positions; synchronously every position when partitions are given up (an asynchronous commit in
 * flight may fail in the very rebalance). The poll thread's alone.
 */
final class CommitTracker<T> {
  private static final Logger log = LoggerFactory.getLogger(CommitTracker.class);

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final String what;
  private final long intervalNanos;
  private final Map<TopicPartition, PartitionOffsets<T>> owned = new HashMap<>();
  private long nextCommitAt; // System.nanoTime(): a wall clock stepped back would stop the commits

  /** @param what the consumer's topic (and group), for logs */
  CommitTracker(KafkaConsumer<byte[], byte[]> consumer, String what, Duration interval) {
    this.consumer = consumer;
    this.what = what;
    this.intervalNanos = interval.toNanos();
    this.nextCommitAt = System.nanoTime() + intervalNanos;
  }

  PartitionOffsets<T> get(TopicPartition tp) {
    return owned.get(tp);
  }

  Collection<PartitionOffsets<T>> all() {
    return owned.values();
  }

  void assigned(Collection<TopicPartition> partitions) {
    partitions.forEach(tp -> owned.put(tp, new PartitionOffsets<>(tp)));
  }

  /** Those of {@code partitions} assigned here. */
  List<PartitionOffsets<T>> of(Collection<TopicPartition> partitions) {
    List<PartitionOffsets<T>> of = new ArrayList<>();
    for (TopicPartition tp : partitions) {
      PartitionOffsets<T> p = owned.get(tp);
      if (p != null) {
        of.add(p);
      }
    }
    return of;
  }

  /** Marks {@code partitions} revoked and forgets them. */
  void forget(Collection<PartitionOffsets<T>> partitions) {
    for (PartitionOffsets<T> p : new ArrayList<>(partitions)) {
      p.revoked = true;
      owned.remove(p.tp);
    }
  }

  /** Once the commit interval passed: commits, without waiting, the positions that moved since their last commit. */
  void commitIfDue() {
    long now = System.nanoTime();
    if (now - nextCommitAt < 0) {
      return;
    }
    nextCommitAt = now + intervalNanos;
    Map<TopicPartition, OffsetAndMetadata> offsets = committable(owned.values(), false);
    if (offsets.isEmpty()) {
      return;
    }
    Map<TopicPartition, PartitionOffsets<T>> targets = new HashMap<>();
    offsets.keySet().forEach(tp -> targets.put(tp, owned.get(tp)));
    // The callback runs on this thread (inside poll or commitSync); committed is set only on success,
    // so a revocation right after never takes an unconfirmed commit for done.
    consumer.commitAsync(offsets, (done, e) -> {
      if (e != null) {
        log.debug("commit of {} failed ({}); retried with the next commit", what, e.toString());
        return;
      }
      done.forEach((tp, o) -> {
        PartitionOffsets<T> p = targets.get(tp);
        if (p != null) {
          p.committed = Math.max(p.committed, o.offset());
        }
      });
    });
  }

  /** Commits the position of every one of {@code partitions}, waiting up to {@code timeout}. */
  void commitSync(Collection<PartitionOffsets<T>> partitions, Duration timeout) {
    Map<TopicPartition, OffsetAndMetadata> offsets = committable(partitions, true);
    if (offsets.isEmpty()) {
      return;
    }
    if (PollLoop.commitSync(consumer, offsets, timeout, e -> log.warn("could not commit the offsets of {} ({}); "
        + "the records after the last commit are read again by the group", what, e.toString()))) {
      for (PartitionOffsets<T> p : partitions) {
        OffsetAndMetadata o = offsets.get(p.tp);
        if (o != null) {
          p.committed = Math.max(p.committed, o.offset());
        }
      }
    }
  }

  /** Waits up to {@code timeout} until no record of {@code partitions} is {@linkplain PartitionOffsets#busy busy}. */
  void awaitIdle(Collection<PartitionOffsets<T>> partitions, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      int busy = 0;
      for (PartitionOffsets<T> p : partitions) {
        busy += p.busy.get();
      }
      if (busy == 0) {
        return;
      }
      if (System.nanoTime() - deadline > 0 || Thread.currentThread().isInterrupted()) {
        log.info("{} records of {} still in progress after {}; they stay uncommitted for the partitions' next owner",
            busy, what, timeout);
        return;
      }
      PollLoop.sleep(5);
    }
  }

  private static Map<TopicPartition, OffsetAndMetadata> committable(Collection<? extends PartitionOffsets<?>> partitions,
      boolean all) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (PartitionOffsets<?> p : partitions) {
      long position = p.position();
      if (position >= 0 && (all || position > p.committed)) {
        offsets.put(p.tp, new OffsetAndMetadata(position));
      }
    }
    return offsets;
  }
}
