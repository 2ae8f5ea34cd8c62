package dev.courier.kafka.internal;

import dev.courier.spi.support.Threads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A poll thread's assigned partitions and their commits: asynchronously every interval the moved
 * positions; synchronously every position when partitions are given up (an asynchronous commit in
 * flight may fail in the very rebalance). The poll thread's alone.
 */
final class CommitTracker {
  private static final Logger log = LoggerFactory.getLogger(CommitTracker.class);

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final String what;
  private final long intervalNanos;
  private final Map<TopicPartition, PartitionOffsets<KafkaDelivery>> owned = new HashMap<>();
  private long nextCommitAt; // System.nanoTime(): a wall clock stepped back would stop the commits

  /** @param what the consumer's topic (and group), for logs */
  CommitTracker(KafkaConsumer<byte[], byte[]> consumer, String what, Duration interval) {
    this.consumer = consumer;
    this.what = what;
    this.intervalNanos = interval.toNanos();
    this.nextCommitAt = System.nanoTime() + intervalNanos;
  }

  PartitionOffsets<KafkaDelivery> get(TopicPartition tp) {
    return owned.get(tp);
  }

  Collection<PartitionOffsets<KafkaDelivery>> all() {
    return owned.values();
  }

  void assigned(Collection<TopicPartition> partitions) {
    partitions.forEach(tp -> owned.put(tp, new PartitionOffsets<>(tp)));
  }

  List<PartitionOffsets<KafkaDelivery>> of(Collection<TopicPartition> partitions) {
    return partitions.stream().map(owned::get).filter(Objects::nonNull).toList();
  }

  /** Marks {@code partitions} revoked and forgets them. */
  void forget(Collection<PartitionOffsets<KafkaDelivery>> partitions) {
    for (PartitionOffsets<KafkaDelivery> p : new ArrayList<>(partitions)) { // partitions may be all()
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
    List<PartitionOffsets<KafkaDelivery>> targets = of(offsets.keySet());
    // The callback runs on this thread (inside poll or commitSync); committed is set only on success,
    // so a revocation right after never takes an unconfirmed commit for done.
    consumer.commitAsync(offsets, (done, e) -> {
      if (e != null) {
        log.debug("commit of {} failed ({}); retried with the next commit", what, e.toString());
      } else {
        confirmed(targets, done);
      }
    });
  }

  /** Commits the position of every one of {@code partitions}, waiting up to {@code timeout}; again after a wake-up. */
  void commitSync(Collection<PartitionOffsets<KafkaDelivery>> partitions, Duration timeout) {
    Map<TopicPartition, OffsetAndMetadata> offsets = committable(partitions, true);
    for (int attempt = 0; attempt < 2 && !offsets.isEmpty(); attempt++) {
      try {
        consumer.commitSync(offsets, timeout);
        confirmed(partitions, offsets);
        return;
      } catch (WakeupException e) {
        // a pending wake-up, not a failure: commit again
      } catch (RuntimeException e) {
        log.warn("could not commit the offsets of {} ({}); the records after the last commit are read again by "
            + "the group", what, e.toString());
        return;
      }
    }
  }

  private static void confirmed(Collection<PartitionOffsets<KafkaDelivery>> partitions,
      Map<TopicPartition, OffsetAndMetadata> done) {
    for (PartitionOffsets<KafkaDelivery> p : partitions) {
      OffsetAndMetadata o = done.get(p.tp);
      if (o != null) {
        p.committed = Math.max(p.committed, o.offset());
      }
    }
  }

  /** Waits up to {@code timeout} until no record of {@code partitions} is {@linkplain PartitionOffsets#busy busy}. */
  void awaitIdle(Collection<PartitionOffsets<KafkaDelivery>> partitions, Duration timeout) {
    if (!Threads.awaitUntil(timeout, () -> partitions.stream().allMatch(p -> p.busy.get() == 0))) {
      int busy = partitions.stream().mapToInt(p -> p.busy.get()).sum();
      if (busy > 0) { // they may have finished just now
        log.info("{} records of {} still in progress after {}; they stay uncommitted for the partitions' next owner",
            busy, what, timeout);
      }
    }
  }

  private static Map<TopicPartition, OffsetAndMetadata> committable(Collection<PartitionOffsets<KafkaDelivery>> partitions,
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
