package dev.courier.kafka.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves a topic's delayed publishes from its delayed-publish topic to the topic itself when they
 * are due. One consumer in the topic's forwarder group and one poll thread; every process that
 * runs a forwarder for the topic joins that group, so the group's assignment splits the partitions
 * between them.
 *
 * <p>Records not yet due are held in memory, ordered by due time, so a long delay never holds back
 * a shorter one read after it; beyond {@code maxDelayedHeld} held records every partition is paused
 * (bounded memory; records then wait in Kafka). A due record is published to the topic with the
 * transport's idempotent {@code acks=all} producer: same key, value, timestamp and headers (the id
 * among them), without the due time and target topic; an unkeyed one on the next round-robin
 * partition, as a direct publish would be. A failed forward is retried with exponential backoff,
 * keeping the record. Per partition only offsets up to the first record not yet forwarded and
 * acknowledged are committed, so a crash or close between a forward and its commit may forward a
 * record twice but never loses one: held records stay uncommitted and the next owner reads them
 * again. Records naming another topic (two topics whose delayed-publish topic names coincide) are
 * skipped.
 */
public final class DelayedForwarder {
  private static final Logger log = LoggerFactory.getLogger(DelayedForwarder.class);
  private static final long POLL_MILLIS = 100;
  private static final long MAX_RETRY_BACKOFF_MILLIS = 10_000;
  /** Records being forwarded (in the producer, or waiting to be retried), at most. */
  private static final int MAX_FORWARDING = 1_000;

  private final String topic;
  private final String delayedTopic;
  private final Producer<byte[], byte[]> producer;
  private final KafkaReceiver.Settings settings;
  private final IntSupplier unkeyedPartition;
  private final Consumer<DelayedForwarder> onStop;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Thread thread;
  private final ScheduledExecutorService retries;

  // Poll thread only.
  private final Map<TopicPartition, Partition> owned = new HashMap<>();
  private final PriorityQueue<Held> held = new PriorityQueue<>(Comparator.comparingLong((Held h) -> h.due)
      .thenComparingInt(h -> h.record.partition()).thenComparingLong(h -> h.record.offset()));
  private boolean paused;
  private boolean assignmentChanged;
  private long nextCommitAt;

  // Shared. Records taken from held and not yet forwarded or given up.
  private final AtomicInteger forwarding = new AtomicInteger();
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile boolean closing;

  /**
   * @param unkeyedPartition the partition of {@code topic} for the next record without a key
   * @param onStop called once the poll thread has stopped (closed, or failed for good)
   */
  public DelayedForwarder(String topic, String delayedTopic, Properties consumerProps, Producer<byte[], byte[]> producer,
      KafkaReceiver.Settings settings, IntSupplier unkeyedPartition, Consumer<DelayedForwarder> onStop) {
    this.topic = topic;
    this.delayedTopic = delayedTopic;
    this.producer = producer;
    this.settings = settings;
    this.unkeyedPartition = unkeyedPartition;
    this.onStop = onStop;
    this.consumer = new KafkaConsumer<>(consumerProps);
    this.retries = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "courier-kafka-forward-retry-" + topic);
      t.setDaemon(true);
      return t;
    });
    this.thread = new Thread(this::run, "courier-kafka-forward-" + topic);
    this.thread.setDaemon(true);
  }

  /** The topic this forwarder publishes to. */
  public String topic() {
    return topic;
  }

  /** The topic it reads the delayed publishes from. */
  public String delayedTopic() {
    return delayedTopic;
  }

  /** Starts the poll thread; does not wait for the group to assign partitions. */
  public void start() {
    if (closed.get() || !started.compareAndSet(false, true)) {
      return;
    }
    thread.start();
  }

  /**
   * Stops forwarding, waits (up to the close timeout) for forwards the broker has not acknowledged
   * yet, commits what was forwarded and leaves the group. Held records stay uncommitted for the
   * group's next owner. Bounded by 3 x close timeout + revoke timeout + 5 s.
   */
  public void close() {
    beginClose();
    awaitClosed();
  }

  /** Tells the poll thread to stop, without waiting: {@link #awaitClosed()} waits. */
  public void beginClose() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    closing = true;
    if (started.compareAndSet(false, true)) {
      // Never started: nothing runs, only the clients to free.
      retries.shutdownNow();
      consumer.close(CloseOptions.timeout(Duration.ZERO));
      onStop.accept(this);
      return;
    }
    consumer.wakeup();
  }

  /** Waits until the poll thread has stopped, at most 3 x close timeout + revoke timeout + 5 s. */
  public void awaitClosed() {
    if (!thread.isAlive()) {
      return;
    }
    try {
      thread.join(settings.closeTimeout().toMillis() * 3 + settings.revokeTimeout().toMillis() + 5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      log.warn("the delayed-publish forwarder of {} did not stop in time", topic);
    }
  }

  // ---- forwarding, from the poll thread and the retry thread

  /**
   * Hands {@code h} to the producer. Counts it as sending before checking for revocation or close,
   * so a revocation either sees it sending (and waits for it) or it sees the revocation.
   */
  private void forward(Held h) {
    h.partition.sending.incrementAndGet();
    if (closing || h.partition.revoked) {
      h.partition.sending.decrementAndGet();
      forwarding.decrementAndGet(); // uncommitted: the partition's next owner forwards it
      return;
    }
    try {
      byte[] key = h.record.key();
      Integer partition = key == null || key.length == 0 ? unkeyedPartition.getAsInt() : null;
      ProducerRecord<byte[], byte[]> out = RecordMapper.toForward(h.record, topic, partition);
      producer.send(out, (md, e) -> {
        if (e == null) {
          h.partition.open.remove(h.record.offset());
          h.partition.sending.decrementAndGet();
          forwarding.decrementAndGet();
        } else {
          forwardFailed(h, e);
        }
      });
    } catch (RuntimeException e) {
      forwardFailed(h, e);
    }
  }

  private void forwardFailed(Held h, Exception e) {
    h.partition.sending.decrementAndGet();
    if (closing || h.partition.revoked) {
      log.info("could not forward a delayed publish to {} ({}); it stays uncommitted and is forwarded by the next "
          + "owner of {}-{}", topic, e.toString(), delayedTopic, h.record.partition());
      forwarding.decrementAndGet();
      return;
    }
    int failures = ++h.failures;
    long backoff = Math.min(MAX_RETRY_BACKOFF_MILLIS, 100L << Math.min(failures - 1, 10));
    if (failures == 1 || backoff == MAX_RETRY_BACKOFF_MILLIS && failures % 10 == 0) {
      log.warn("could not forward a delayed publish from {}-{}@{} to {} ({}, {} attempts); retrying in {} ms",
          delayedTopic, h.record.partition(), h.record.offset(), topic, e.toString(), failures, backoff);
    }
    try {
      retries.schedule(() -> forward(h), backoff, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException rejected) {
      forwarding.decrementAndGet(); // closing: uncommitted, forwarded by the next owner
    }
  }

  // ---- the poll thread

  private void run() {
    try {
      consumer.subscribe(List.of(delayedTopic), new Rebalance());
      nextCommitAt = System.currentTimeMillis() + settings.commitInterval().toMillis();
      int failures = 0;
      while (!closing) {
        try {
          loopOnce();
          failures = 0;
        } catch (WakeupException e) {
          // close()
        } catch (RuntimeException e) {
          failures++;
          log.warn("the delayed-publish forwarder of {} failed ({}); retrying", topic, e.toString(),
              failures == 1 ? e : null);
          sleep(Math.min(5_000, 100L * failures));
        }
      }
    } catch (Throwable t) {
      log.error("the delayed-publish forwarder of {} stopped; its unforwarded records stay in {} for the next forwarder",
          topic, delayedTopic, t);
    } finally {
      shutdown();
      onStop.accept(this);
    }
  }

  private void loopOnce() {
    long now = System.currentTimeMillis();
    forwardDue(now);
    applyPause();
    if (now >= nextCommitAt) {
      commitAsync();
      nextCommitAt = now + settings.commitInterval().toMillis();
    }
    long timeout = POLL_MILLIS;
    Held head = held.peek();
    if (head != null && forwarding.get() < MAX_FORWARDING) {
      timeout = Math.max(0, Math.min(timeout, head.due - now));
    }
    ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(timeout));
    for (ConsumerRecord<byte[], byte[]> r : records) {
      accept(r);
    }
  }

  private void accept(ConsumerRecord<byte[], byte[]> r) {
    Partition p = owned.get(new TopicPartition(r.topic(), r.partition()));
    if (p == null || r.offset() < p.next) {
      return; // not ours any more, or seen already
    }
    p.next = r.offset() + 1;
    if (!RecordMapper.isDelayedFor(r, topic)) {
      log.debug("skipping {}-{}@{}: not a delayed publish for {}", r.topic(), r.partition(), r.offset(), topic);
      return;
    }
    p.open.add(r.offset());
    held.add(new Held(p, r, RecordMapper.due(r)));
  }

  private void forwardDue(long now) {
    Held h;
    while (!closing && forwarding.get() < MAX_FORWARDING && (h = held.peek()) != null && h.due <= now) {
      held.poll();
      forwarding.incrementAndGet();
      forward(h);
    }
  }

  /** Pauses every partition while {@code maxDelayedHeld} records are held; resumes below that. */
  private void applyPause() {
    boolean want = held.size() >= settings.maxDelayedHeld();
    if (want == paused && !assignmentChanged) {
      return;
    }
    Set<TopicPartition> assigned = consumer.assignment();
    if (want) {
      consumer.pause(assigned);
      log.debug("forwarder of {} holds {} records; pausing {}", topic, held.size(), assigned);
    } else {
      consumer.resume(assigned);
    }
    paused = want;
    assignmentChanged = false;
  }

  private Map<TopicPartition, OffsetAndMetadata> committable(Collection<Partition> partitions) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (Partition p : partitions) {
      long position = p.position();
      if (position > p.committed) {
        offsets.put(p.tp, new OffsetAndMetadata(position));
      }
    }
    return offsets;
  }

  private void commitAsync() {
    Map<TopicPartition, OffsetAndMetadata> offsets = committable(owned.values());
    if (offsets.isEmpty()) {
      return;
    }
    List<Partition> targets = new ArrayList<>();
    offsets.forEach((tp, o) -> {
      Partition p = owned.get(tp);
      p.committed = o.offset();
      targets.add(p);
    });
    consumer.commitAsync(offsets, (done, e) -> {
      if (e != null) {
        log.debug("commit of the forwarder of {} failed ({}); retried with the next commit", topic, e.toString());
        targets.forEach(p -> p.committed = -1);
      }
    });
  }

  private void commitSync(Collection<Partition> partitions, Duration timeout) {
    Map<TopicPartition, OffsetAndMetadata> offsets = committable(partitions);
    if (offsets.isEmpty()) {
      return;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
      try {
        consumer.commitSync(offsets, timeout);
        for (Partition p : partitions) {
          OffsetAndMetadata o = offsets.get(p.tp);
          if (o != null) {
            p.committed = o.offset();
          }
        }
        return;
      } catch (WakeupException e) {
        // the close() wake-up, not a failure: commit again
      } catch (RuntimeException e) {
        log.warn("could not commit the forwarded offsets of {} ({}); those records may be forwarded again",
            delayedTopic, e.toString());
        return;
      }
    }
  }

  /**
   * Waits up to {@code timeout} until the producer acknowledged or failed every forward of
   * {@code partitions} it has (a forward waiting to be retried is given up by then).
   */
  private void awaitForwards(Collection<Partition> partitions, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      int n = 0;
      for (Partition p : partitions) {
        n += p.sending.get();
      }
      if (n == 0) {
        return;
      }
      if (System.nanoTime() > deadline) {
        log.info("{} forwards to {} not acknowledged after {}; their records stay uncommitted", n, topic, timeout);
        return;
      }
      sleep(5);
    }
  }

  private void shutdown() {
    try {
      held.clear();
      if (!owned.isEmpty()) {
        List<Partition> all = new ArrayList<>(owned.values());
        awaitForwards(all, settings.closeTimeout());
        commitSync(all, settings.closeTimeout());
        all.forEach(p -> p.revoked = true);
        owned.clear();
      }
    } catch (RuntimeException e) {
      log.warn("final commit of the forwarder of {} failed ({})", topic, e.toString());
    } finally {
      retries.shutdownNow();
      try {
        consumer.close(CloseOptions.timeout(settings.closeTimeout()));
      } catch (RuntimeException e) {
        log.debug("closing the forwarder consumer of {} failed", topic, e);
      }
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "DelayedForwarder{" + delayedTopic + " -> " + topic + ", forwarding=" + forwarding.get() + '}';
  }

  /** A record read and not yet forwarded. */
  private static final class Held {
    final Partition partition;
    final ConsumerRecord<byte[], byte[]> record;
    final long due;
    /** Failed forward attempts; touched by one thread at a time (the callback, then the retry). */
    volatile int failures;

    Held(Partition partition, ConsumerRecord<byte[], byte[]> record, long due) {
      this.partition = partition;
      this.record = record;
      this.due = due;
    }
  }

  /**
   * An assigned partition of the delayed-publish topic: the offsets read and not yet forwarded
   * (held, or forwarded without acknowledgement), so the commit position is the first of them.
   */
  private static final class Partition {
    final TopicPartition tp;
    /** Removed from by producer callbacks; added to by the poll thread only. */
    final ConcurrentSkipListSet<Long> open = new ConcurrentSkipListSet<>();
    /** Forwards handed to the producer and not yet acknowledged or failed. */
    final AtomicInteger sending = new AtomicInteger();
    long next = -1; // poll thread: offset after the last record read
    volatile long committed = -1;
    volatile boolean revoked;

    Partition(TopicPartition tp) {
      this.tp = tp;
    }

    /** The first offset not yet forwarded, else the one after the last read; -1 if none read. */
    long position() {
      Iterator<Long> it = open.iterator();
      return it.hasNext() ? it.next() : next;
    }
  }

  /** Rebalance callbacks, called by the poll thread inside poll(). */
  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (partitions.isEmpty()) {
        return;
      }
      List<Partition> revoked = remove(partitions);
      awaitForwards(revoked, settings.revokeTimeout());
      commitSync(revoked, settings.revokeTimeout());
      log.debug("forwarder of {}: revoked {}", topic, partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      remove(partitions);
      log.info("forwarder of {}: lost {} (session expired); their unforwarded records go to the next owner",
          topic, partitions);
    }

    /** Stops forwarding the partitions' held records and forgets the partitions (after commitSync's read). */
    private List<Partition> remove(Collection<TopicPartition> partitions) {
      Set<TopicPartition> gone = new HashSet<>(partitions);
      held.removeIf(h -> gone.contains(h.partition.tp));
      List<Partition> removed = new ArrayList<>();
      for (TopicPartition tp : gone) {
        Partition p = owned.remove(tp);
        if (p != null) {
          p.revoked = true;
          removed.add(p);
        }
      }
      assignmentChanged = true;
      return removed;
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      for (TopicPartition tp : partitions) {
        owned.put(tp, new Partition(tp));
      }
      assignmentChanged = true;
      log.debug("forwarder of {}: assigned {}", topic, partitions);
    }
  }
}
