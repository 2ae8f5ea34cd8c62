package dev.courier.kafka.internal;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link KafkaReceiver}'s commits: per partition the position of its first record not yet done
 * ({@link PartitionOffsets}), asynchronously every commit interval, synchronously when partitions
 * are given up, after waiting for their deliveries still running. The poll thread's, but for
 * {@link #settledOne}, which any thread calls.
 */
final class ReceiverCommits {
  private static final Logger log = LoggerFactory.getLogger(KafkaReceiver.class);

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final String what;
  private final Object monitor = new Object();
  private volatile boolean waiting;

  /** @param what the receiver's topic/group, for logs */
  ReceiverCommits(KafkaConsumer<byte[], byte[]> consumer, String what) {
    this.consumer = consumer;
    this.what = what;
  }

  /** A delivery was settled or given back: wakes {@link #awaitOutstanding} if it waits. */
  void settledOne() {
    if (waiting) {
      synchronized (monitor) {
        monitor.notifyAll();
      }
    }
  }

  /** Commits, without waiting, the partitions whose position moved since their last commit. */
  void commitAsync(Collection<PartitionOffsets> owned) {
    Map<TopicPartition, OffsetAndMetadata> offsets = committable(owned);
    if (offsets.isEmpty()) {
      return;
    }
    Map<TopicPartition, PartitionOffsets> targets = new HashMap<>();
    for (PartitionOffsets po : owned) {
      OffsetAndMetadata o = offsets.get(po.partition);
      if (o != null) {
        po.committed(o.offset());
        targets.put(po.partition, po);
      }
    }
    consumer.commitAsync(offsets, (done, e) -> {
      if (e != null) {
        log.debug("commit of {} failed ({}); retried with the next commit", what, e.toString());
        targets.values().forEach(PartitionOffsets::commitFailed);
      }
    });
  }

  /** Commits the partitions whose position moved, waiting up to {@code timeout}. */
  void commitSync(Collection<PartitionOffsets> partitions, Duration timeout) {
    Map<TopicPartition, OffsetAndMetadata> offsets = committable(partitions);
    if (offsets.isEmpty()) {
      return;
    }
    if (PollLoop.commitSync(consumer, offsets, timeout, e -> log.warn("could not commit the completed offsets of "
        + "{} ({}); those records are read again by the group", what, e.toString()))) {
      for (PartitionOffsets po : partitions) {
        OffsetAndMetadata o = offsets.get(po.partition);
        if (o != null) {
          po.committed(o.offset());
        }
      }
    }
  }

  /** Waits up to {@code timeout} until no delivery of {@code partitions} is outstanding. */
  void awaitOutstanding(Collection<PartitionOffsets> partitions, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (monitor) {
      waiting = true;
      try {
        while (true) {
          int outstanding = 0;
          for (PartitionOffsets po : partitions) {
            outstanding += po.outstanding.get();
          }
          long left = deadline - System.nanoTime();
          if (outstanding == 0) {
            return;
          }
          if (left <= 0) {
            log.info("{} deliveries of {} still running after {}; they are left to the partitions' next owner",
                outstanding, what, timeout);
            return;
          }
          try {
            TimeUnit.NANOSECONDS.timedWait(monitor, Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
        }
      } finally {
        waiting = false;
      }
    }
  }

  private static Map<TopicPartition, OffsetAndMetadata> committable(Collection<PartitionOffsets> partitions) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (PartitionOffsets po : partitions) {
      long p = po.positionToCommit();
      if (p >= 0) {
        offsets.put(po.partition, new OffsetAndMetadata(p));
      }
    }
    return offsets;
  }
}
