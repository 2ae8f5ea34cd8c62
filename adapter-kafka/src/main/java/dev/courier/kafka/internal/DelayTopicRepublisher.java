package dev.courier.kafka.internal;

import dev.courier.spi.support.Backoff;
import dev.courier.spi.support.Threads;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A receiver's copies to its delay topic (redeliveries, relays, delayed publishes), with delivery
 * count, due time and group in headers, to the same partition number (modulo the delay topic's: a
 * key stays with its owner while both topics have as many partitions). A copy is timestamped when
 * written, the message's own timestamp in a header, so the delay topic's retention and the broker's
 * timestamp limits count from the copy. The original is done once the copy is confirmed. A failed
 * copy is retried with backoff, keeping its due time, until it succeeds, the partition is revoked or
 * the receiver closes (then the original stays uncommitted). Runs on settling threads and its retry
 * thread, which also sends the poll thread's copies.
 */
final class DelayTopicRepublisher {
  private static final Logger log = LoggerFactory.getLogger(DelayTopicRepublisher.class);
  private static final Backoff RETRY_BACKOFF = Backoff.exponential(Duration.ofMillis(100), Duration.ofSeconds(10));

  private final String what;
  private final String delayTopic;
  private final int delayPartitions;
  private final String groupId;
  private final Producer<byte[], byte[]> producer;
  private final AtomicBoolean closed;
  private final Consumer<KafkaDelivery> settled;
  private final ScheduledExecutorService retries;
  private final AtomicInteger republishing = new AtomicInteger();

  /**
   * @param what the receiver's topic/group, for logs and the retry thread's name
   * @param closed the receiver's closed flag: once set, failures are not retried
   * @param settled called once a delivery leaves: done (its copy confirmed) or left uncommitted
   */
  DelayTopicRepublisher(String what, String delayTopic, int delayPartitions, String groupId,
      Producer<byte[], byte[]> producer, AtomicBoolean closed, Consumer<KafkaDelivery> settled) {
    this.what = what;
    this.delayTopic = delayTopic;
    this.delayPartitions = delayPartitions;
    this.groupId = groupId;
    this.producer = producer;
    this.closed = closed;
    this.settled = settled;
    this.retries = Executors.newSingleThreadScheduledExecutor(Threads.factory("courier-kafka-retry-" + what.replace('/', '-'), true));
  }

  /** Republishes {@code d} (its {@code redeliverAt} set) to the delay topic. */
  void republish(KafkaDelivery d) {
    republishing.incrementAndGet();
    send(d);
  }

  /** {@link #republish} on the retry thread: the poll thread must not block in the producer past max.poll.interval. */
  void republishLater(KafkaDelivery d) {
    republishing.incrementAndGet();
    try {
      retries.execute(() -> {
        if (d.partition.revoked) { // given up meanwhile (its revoke wait ran out): the next owner reads the original
          republishing.decrementAndGet();
          settled.accept(d);
        } else {
          send(d);
        }
      });
    } catch (RejectedExecutionException e) { // closing: it stays uncommitted
      republishing.decrementAndGet();
      settled.accept(d);
    }
  }

  private void send(KafkaDelivery d) {
    int partition = d.record.partition() % delayPartitions;
    try {
      ProducerRecord<byte[], byte[]> copy = RecordMapper.toRedelivery(d.record, delayTopic, partition,
          d.uncounted ? d.deliveryCount() : d.deliveryCount() + 1, d.redeliverAt, groupId);
      producer.send(copy, (md, e) -> {
        if (e == null) {
          d.markDone();
          settled.accept(d);
        } else {
          failed(d, e);
        }
        republishing.decrementAndGet();
      });
    } catch (RuntimeException e) {
      failed(d, e);
      republishing.decrementAndGet();
    }
  }

  /** Copies queued or handed to the producer and not yet confirmed or failed. */
  int inProgress() {
    return republishing.get();
  }

  /** Stops the retries: a delivery waiting for one stays uncommitted. */
  void close() {
    retries.shutdownNow();
  }

  private void failed(KafkaDelivery d, Exception e) {
    if (closed.get() || d.partition.revoked) {
      log.warn("could not return {} to {} for redelivery ({}); it stays uncommitted and is read again by the group",
          d, what, e.toString());
      settled.accept(d);
      return;
    }
    int failures = ++d.republishFailures;
    long backoff = RETRY_BACKOFF.delayMillis(failures);
    if (failures == 1 || backoff == RETRY_BACKOFF.maxMillis() && failures % 10 == 0) {
      log.warn("could not return {} to {} for redelivery ({}, {} attempts); retrying in {} ms; its offset "
          + "stays uncommitted meanwhile", d, what, e.toString(), failures, backoff);
    }
    try {
      retries.schedule(() -> {
        if (closed.get() || d.partition.revoked) {
          settled.accept(d); // uncommitted: the group's next owner reads it again
        } else {
          republish(d);
        }
      }, backoff, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException rejected) {
      settled.accept(d); // closing
    }
  }
}
