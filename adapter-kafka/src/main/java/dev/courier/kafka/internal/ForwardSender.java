package dev.courier.kafka.internal;

import dev.courier.spi.support.Backoff;
import dev.courier.spi.support.RateLimitedLog;
import dev.courier.spi.support.Threads;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.RetriableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link DelayedForwarder}'s writes, from its poll thread, its retry thread and producer
 * callbacks: forwards a due record to the topic (a failed forward is retried with exponential
 * backoff, up to 10 s, or up to 60 s, logged at ERROR, for errors retrying cannot fix, keeping
 * the record uncommitted) and relays a held one to the tail of its partition ({@link RelayRules}).
 * Failures, and the forwarder's failed poll-loop rounds, are logged at most once a minute per kind.
 */
final class ForwardSender {
  private static final Logger log = LoggerFactory.getLogger(DelayedForwarder.class);
  private static final Backoff RETRY_BACKOFF = Backoff.exponential(Duration.ofMillis(100), Duration.ofSeconds(10));
  /** Retry backoff for errors retrying cannot fix by itself (authorization, invalid record). */
  private static final Backoff PERMANENT_BACKOFF = Backoff.exponential(Duration.ofMillis(100), Duration.ofSeconds(60));

  private final String topic;
  private final String delayedTopic;
  private final Producer<byte[], byte[]> producer;
  private final IntSupplier unkeyedPartition;
  private final BooleanSupplier closing;
  private final ScheduledExecutorService retries;
  /** Records taken from held and not yet forwarded or given up. */
  private final AtomicInteger forwarding = new AtomicInteger();
  /** Relay copies handed to the producer and not yet acknowledged or failed. */
  private final AtomicInteger relaying = new AtomicInteger();
  /** Records whose relay failed while running: the poll thread holds them again. */
  private final ConcurrentLinkedQueue<HeldRecord> returned = new ConcurrentLinkedQueue<>();
  /** Failures are logged at most once a minute per kind (a forward or relay, a poll-loop round). */
  private final RateLimitedLog failureLog = new RateLimitedLog(Duration.ofMinutes(1));

  /**
   * @param unkeyedPartition the partition of {@code topic} for the next record without a key
   * @param closing whether the forwarder is closing: then nothing is sent or retried any more
   */
  ForwardSender(String topic, String delayedTopic, Producer<byte[], byte[]> producer, IntSupplier unkeyedPartition,
      BooleanSupplier closing) {
    this.topic = topic;
    this.delayedTopic = delayedTopic;
    this.producer = producer;
    this.unkeyedPartition = unkeyedPartition;
    this.closing = closing;
    this.retries = Executors.newSingleThreadScheduledExecutor(Threads.factory("courier-kafka-forward-retry-" + topic, true));
  }

  /** Forwards {@code h}, taken from held, counting it as forwarding until it is done or given up. */
  void forwardTaken(HeldRecord h) {
    forwarding.incrementAndGet();
    forward(h);
  }

  /** Records being forwarded (in the producer, or waiting to be retried). */
  int forwarding() {
    return forwarding.get();
  }

  /** Relay copies not yet acknowledged or failed. */
  int relaying() {
    return relaying.get();
  }

  /** The next record whose relay failed while running, to be held again; null if none. */
  HeldRecord pollReturned() {
    return returned.poll();
  }

  /** Stops the retries: a forward waiting for one stays uncommitted for the partition's next owner. */
  void close() {
    retries.shutdownNow();
  }

  /**
   * Hands {@code h} to the producer. Counts it as sending before checking for revocation or close,
   * so a revocation either sees it sending (and waits for it) or it sees the revocation.
   */
  private void forward(HeldRecord h) {
    h.partition.busy.incrementAndGet();
    if (closing.getAsBoolean() || h.partition.revoked) {
      h.partition.busy.decrementAndGet();
      forwarding.decrementAndGet(); // uncommitted: the partition's next owner forwards it
      return;
    }
    try {
      byte[] key = h.record.key();
      Integer partition = key == null || key.length == 0 ? unkeyedPartition.getAsInt() : null;
      ProducerRecord<byte[], byte[]> out = RecordMapper.toForward(h.record, topic, partition);
      producer.send(out, (md, e) -> {
        if (e == null) {
          h.partition.done(h.record.offset(), h);
          h.partition.busy.decrementAndGet();
          forwarding.decrementAndGet();
        } else {
          forwardFailed(h, e);
        }
      });
    } catch (RuntimeException e) {
      forwardFailed(h, e);
    }
  }

  private void forwardFailed(HeldRecord h, Exception e) {
    h.partition.busy.decrementAndGet();
    if (closing.getAsBoolean() || h.partition.revoked) {
      log.info("could not forward a delayed publish to {} ({}); it stays uncommitted and is forwarded by the next "
          + "owner of {}-{}", topic, e.toString(), delayedTopic, h.record.partition());
      forwarding.decrementAndGet();
      return;
    }
    int failures = ++h.failures;
    boolean permanent = permanent(e);
    long backoff = (permanent ? PERMANENT_BACKOFF : RETRY_BACKOFF).delayMillis(failures);
    logFailure(permanent, "could not forward a delayed publish from {}-{}@{} to {} ({}, {} attempts); it stays "
        + "uncommitted, retrying in {} ms", delayedTopic, h.record.partition(), h.record.offset(), topic, e.toString(),
        failures, backoff);
    try {
      retries.schedule(() -> forward(h), backoff, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException rejected) {
      forwarding.decrementAndGet(); // closing: uncommitted, forwarded by the next owner
    }
  }

  /**
   * Writes a copy of held record {@code h} to the tail of its partition; once acknowledged, the
   * original is done (committable). {@code handover}: on revocation or close, a failed copy
   * leaves the original uncommitted; otherwise a failed copy is held again.
   */
  void relay(HeldRecord h, boolean handover) {
    PartitionOffsets<HeldRecord> p = h.partition;
    p.busy.incrementAndGet();
    relaying.incrementAndGet();
    try {
      producer.send(RecordMapper.toRelay(h.record), (md, e) -> relayed(h, handover, e));
    } catch (RuntimeException e) {
      relayed(h, handover, e);
    }
  }

  private void relayed(HeldRecord h, boolean handover, Exception e) {
    PartitionOffsets<HeldRecord> p = h.partition;
    if (e == null) {
      p.done(h.record.offset(), h);
    } else if (!handover && !closing.getAsBoolean() && !p.revoked) {
      logFailure(permanent(e), "could not relay a held delayed publish {}-{}@{} to the tail of its partition ({}); "
          + "holding it again", delayedTopic, h.record.partition(), h.record.offset(), e.toString());
      returned.add(h);
    } else {
      logFailure(false, "could not hand over the held delayed publish {}-{}@{} ({}); it stays uncommitted for the "
          + "next owner", delayedTopic, h.record.partition(), h.record.offset(), e.toString());
    }
    relaying.decrementAndGet();
    p.busy.decrementAndGet();
  }

  /** An error retrying cannot fix by itself: a non-retriable Kafka API error (authorization, invalid record). */
  static boolean permanent(Exception e) {
    return e instanceof ApiException && !(e instanceof RetriableException);
  }

  /** Logs a failure (ERROR if permanent, else WARN), at most once a minute. */
  private void logFailure(boolean permanent, String format, Object... args) {
    long unlogged = failureLog.admit("forward");
    if (unlogged == RateLimitedLog.SUPPRESSED) {
      return;
    }
    String message = format + RateLimitedLog.more(unlogged, "failures in the last minute");
    if (permanent) {
      log.error(message, args);
    } else {
      log.warn(message, args);
    }
  }

  /** Logs a failed poll-loop round at most once a minute (ERROR if retrying cannot fix it). */
  void loopFailed(RuntimeException e) {
    long unlogged = failureLog.admit("loop");
    if (unlogged == RateLimitedLog.SUPPRESSED) {
      return;
    }
    String more = RateLimitedLog.more(unlogged, "failures in the last minute");
    if (permanent(e)) {
      log.error("the delayed-publish forwarder of {} failed ({}){}; retrying", topic, e.toString(), more, e);
    } else {
      log.warn("the delayed-publish forwarder of {} failed ({}){}; retrying", topic, e.toString(), more, e);
    }
  }
}
