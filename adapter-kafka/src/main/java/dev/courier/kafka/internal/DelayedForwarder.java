package dev.courier.kafka.internal;

import dev.courier.spi.support.Backoff;
import dev.courier.spi.support.RateLimitedLog;
import dev.courier.spi.support.Threads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
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
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.RetriableException;
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
 * a shorter one read after it. A due record is published to the topic with the transport's
 * idempotent {@code acks=all} producer: same key, value and headers (the id among them), without
 * the due time and target topic, timestamped now with the message's own timestamp in a header (so
 * a broker's timestamp limits never reject a forward of an old message); an unkeyed one on the
 * next round-robin partition, as a direct publish would be. A failed forward is retried with
 * exponential backoff (up to 10 s; up to 60 s, logged at ERROR, for errors that retrying cannot
 * fix, such as authorization), keeping the record uncommitted. Failures are logged at most once a
 * minute. Records naming another topic (two topics whose delayed-publish topic names coincide) are
 * skipped.
 *
 * <p>Commits: per partition only offsets up to the first record not yet done are committed, so a
 * crash between a forward and its commit may forward a record twice but never loses one. A held
 * record would pin that position: a 1-day delay followed by a million short ones would make every
 * new owner forward the million again. So a held record is <em>relayed</em> instead of kept
 * uncommitted wherever that matters: a copy (same partition, key, value and headers, due time and
 * target topic included) is written to the tail of the delayed-publish topic, and once the broker
 * acknowledges the copy the original counts as done and its offset becomes committable. Whoever
 * owns the partition then reads the copy like any other record. Relaying happens
 * <ul>
 *   <li>on revocation and on close, for every held record of the partitions given up; the commit
 *       then moves past them (bounded by the revoke or close timeout; a copy not acknowledged by
 *       then leaves its original uncommitted, so nothing is lost, only possibly duplicated);
 *   <li>when more than {@code maxDelayedHeld} records are held: the farthest-due ones beyond the
 *       bound are relayed and dropped from memory (memory stays bounded without pausing in front
 *       of later, shorter delays). To avoid reading the copies straight back in a loop, this
 *       happens at most once per interval, which starts at {@value #OVERFLOW_RELAY_INTERVAL_MILLIS} ms
 *       and doubles, up to {@value #MAX_OVERFLOW_RELAY_INTERVAL_MILLIS} ms, for as long as the
 *       overload lasts (back to the start after a quiet interval); while the bound is reached and
 *       copies are in flight or that interval runs, the partitions are paused (the only pausing
 *       left). So in a lasting overload the farthest records circulate through the topic about
 *       once a minute, and a short delay published meanwhile may wait up to that interval;
 *   <li>while running, when a partition's commit position lags more than {@value #PIN_RELAY_LAG}
 *       offsets behind what was read (held records pinning it while later ones are forwarded):
 *       its held records older than half that lag are relayed, so a crash re-forwards at most
 *       about {@value #PIN_RELAY_LAG} records per partition.
 * </ul>
 * A copy failing while running is held again. Forwards waiting for a retry are not relayed: they
 * stay uncommitted for the next owner.
 */
public final class DelayedForwarder {
  private static final Logger log = LoggerFactory.getLogger(DelayedForwarder.class);
  private static final long POLL_MILLIS = 100;
  private static final Backoff RETRY_BACKOFF = Backoff.exponential(Duration.ofMillis(100), Duration.ofSeconds(10));
  /** Retry backoff for errors retrying cannot fix by itself (authorization, invalid record). */
  private static final Backoff PERMANENT_BACKOFF = Backoff.exponential(Duration.ofMillis(100), Duration.ofSeconds(60));
  /** Records being forwarded (in the producer, or waiting to be retried), at most. */
  private static final int MAX_FORWARDING = 1_000;
  /** Relays of the farthest held records beyond maxDelayedHeld, at most one batch this often. */
  static final long OVERFLOW_RELAY_INTERVAL_MILLIS = 1_000;
  /** The longest interval between overflow relays while an overload lasts (bounds the rewrites). */
  static final long MAX_OVERFLOW_RELAY_INTERVAL_MILLIS = 60_000;
  /** Offsets a partition's commit may lag behind what was read before its pinning held records are relayed. */
  static final long PIN_RELAY_LAG = 10_000;

  private static final Comparator<Held> BY_DUE = Comparator.comparingLong((Held h) -> h.due)
      .thenComparingInt(h -> h.record.partition()).thenComparingLong(h -> h.record.offset());

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
  private final PriorityQueue<Held> held = new PriorityQueue<>(BY_DUE);
  private boolean paused;
  private boolean assignmentChanged;
  private long nextCommitAt;
  private long nextOverflowRelayAt;
  private long overflowRelayInterval = OVERFLOW_RELAY_INTERVAL_MILLIS;

  // Shared. Records taken from held and not yet forwarded or given up.
  private final AtomicInteger forwarding = new AtomicInteger();
  /** Relay copies handed to the producer and not yet acknowledged or failed. */
  private final AtomicInteger relaying = new AtomicInteger();
  /** Records whose relay failed while running: the poll thread holds them again. */
  private final ConcurrentLinkedQueue<Held> returned = new ConcurrentLinkedQueue<>();
  /** Failures are logged at most once a minute per kind (a forward or relay, a poll-loop round). */
  private final RateLimitedLog failureLog = new RateLimitedLog(Duration.ofMinutes(1));
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
    this.retries = Executors.newSingleThreadScheduledExecutor(Threads.factory("courier-kafka-forward-retry-" + topic, true));
    this.thread = Threads.thread("courier-kafka-forward-" + topic, true, this::run);
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
   * Stops forwarding, relays the held records to the tail of the delayed-publish topic, waits (up
   * to the close timeout) for forwards and relays the broker has not acknowledged yet, commits what
   * is done and leaves the group. Bounded by 4 x close timeout + revoke timeout + 5 s.
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

  /** Waits until the poll thread has stopped, at most 4 x close timeout + revoke timeout + 5 s. */
  public void awaitClosed() {
    if (!thread.isAlive()) {
      return;
    }
    try {
      thread.join(settings.closeTimeout().toMillis() * 4 + settings.revokeTimeout().toMillis() + 5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      log.warn("the delayed-publish forwarder of {} did not stop in time", topic);
    }
  }

  // ---- forwarding and relaying, from the poll thread, the retry thread and producer callbacks

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
  private void relay(Held h, boolean handover) {
    Partition p = h.partition;
    p.sending.incrementAndGet();
    relaying.incrementAndGet();
    try {
      producer.send(RecordMapper.toRelay(h.record), (md, e) -> relayed(h, handover, e));
    } catch (RuntimeException e) {
      relayed(h, handover, e);
    }
  }

  private void relayed(Held h, boolean handover, Exception e) {
    Partition p = h.partition;
    if (e == null) {
      p.open.remove(h.record.offset());
    } else if (!handover && !closing && !p.revoked) {
      logFailure(permanent(e), "could not relay a held delayed publish {}-{}@{} to the tail of its partition ({}); "
          + "holding it again", delayedTopic, h.record.partition(), h.record.offset(), e.toString());
      returned.add(h);
    } else {
      logFailure(false, "could not hand over the held delayed publish {}-{}@{} ({}); it stays uncommitted for the "
          + "next owner", delayedTopic, h.record.partition(), h.record.offset(), e.toString());
    }
    relaying.decrementAndGet();
    p.sending.decrementAndGet();
  }

  /** An error retrying cannot fix by itself: a non-retriable Kafka API error (authorization, invalid record). */
  private static boolean permanent(Exception e) {
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
          loopFailed(e);
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

  /** Logs a failed poll-loop round at most once a minute (ERROR if retrying cannot fix it). */
  private void loopFailed(RuntimeException e) {
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

  private void loopOnce() {
    long now = System.currentTimeMillis();
    drainReturned();
    forwardDue(now);
    relayOverflow(now);
    relayPinning();
    applyPause(now);
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

  /** Holds again the records whose relay failed, unless their partition went meanwhile. */
  private void drainReturned() {
    Held h;
    while ((h = returned.poll()) != null) {
      if (!h.partition.revoked && owned.get(h.partition.tp) == h.partition) {
        held.add(h);
      }
    }
  }

  private void forwardDue(long now) {
    Held h;
    while (!closing && forwarding.get() < MAX_FORWARDING && (h = held.peek()) != null && h.due <= now) {
      held.poll();
      forwarding.incrementAndGet();
      forward(h);
    }
  }

  /** Beyond maxDelayedHeld held records: relays the farthest-due ones, at most once per interval. */
  private void relayOverflow(long now) {
    int excess = held.size() - settings.maxDelayedHeld();
    if (excess <= 0) {
      if (now >= nextOverflowRelayAt + overflowRelayInterval) {
        overflowRelayInterval = OVERFLOW_RELAY_INTERVAL_MILLIS; // a quiet interval: the overload is over
      }
      return;
    }
    if (now < nextOverflowRelayAt) {
      return;
    }
    List<Held> byDueDescending = new ArrayList<>(held);
    byDueDescending.sort(BY_DUE.reversed());
    List<Held> farthest = byDueDescending.subList(0, excess);
    relayAll(farthest);
    nextOverflowRelayAt = now + overflowRelayInterval;
    overflowRelayInterval = Math.min(MAX_OVERFLOW_RELAY_INTERVAL_MILLIS, overflowRelayInterval * 2);
    log.debug("forwarder of {} holds more than {} records; relaying the {} farthest-due to the tail of {}",
        topic, settings.maxDelayedHeld(), excess, delayedTopic);
  }

  /** Relays the held records that pin a partition's commit far behind what was read. */
  private void relayPinning() {
    for (Partition p : owned.values()) {
      long position = p.position();
      if (position < 0 || p.next - position <= PIN_RELAY_LAG || p.next - p.pinCheckedAt < PIN_RELAY_LAG / 2) {
        continue;
      }
      p.pinCheckedAt = p.next; // pinned by a forward waiting for a retry, perhaps: look again later
      long cutoff = p.next - PIN_RELAY_LAG / 2;
      List<Held> pinning = new ArrayList<>();
      for (Held h : held) {
        if (h.partition == p && h.record.offset() < cutoff) {
          pinning.add(h);
        }
      }
      if (!pinning.isEmpty()) {
        log.debug("forwarder of {}: {} held records pin the commit of {} at {}; relaying them", topic, pinning.size(),
            p.tp, position);
        relayAll(pinning);
      }
    }
  }

  /** Takes {@code which} out of held and relays them (not a handover: a failed copy is held again). */
  private void relayAll(List<Held> which) {
    Set<Held> set = Collections.newSetFromMap(new IdentityHashMap<>());
    set.addAll(which);
    held.removeIf(set::contains);
    for (Held h : set) {
      relay(h, false);
    }
  }

  /**
   * Pauses every partition while {@code maxDelayedHeld} records are held and either relays of the
   * farthest are in flight or the overflow relay interval runs; resumes otherwise.
   */
  private void applyPause(long now) {
    boolean want = held.size() >= settings.maxDelayedHeld() && (relaying.get() > 0 || now < nextOverflowRelayAt);
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

  /** The commit positions of {@code partitions}: all of them if {@code force}, else those past the last commit. */
  private static Map<TopicPartition, OffsetAndMetadata> committable(Collection<Partition> partitions, boolean force) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (Partition p : partitions) {
      long position = p.position();
      if (position >= 0 && (force || position > p.committed)) {
        offsets.put(p.tp, new OffsetAndMetadata(position));
      }
    }
    return offsets;
  }

  private void commitAsync() {
    Map<TopicPartition, OffsetAndMetadata> offsets = committable(owned.values(), false);
    if (offsets.isEmpty()) {
      return;
    }
    Map<TopicPartition, Partition> targets = new HashMap<>();
    offsets.keySet().forEach(tp -> targets.put(tp, owned.get(tp)));
    // The callback runs on this thread (inside poll or commitSync); committed is set only on success,
    // so a revocation right after never takes an unconfirmed commit for done.
    consumer.commitAsync(offsets, (done, e) -> {
      if (e != null) {
        log.debug("commit of the forwarder of {} failed ({}); retried with the next commit", topic, e.toString());
        return;
      }
      done.forEach((tp, o) -> {
        Partition p = targets.get(tp);
        if (p != null) {
          p.committed = Math.max(p.committed, o.offset());
        }
      });
    });
  }

  /** Commits the position of every one of {@code partitions}, whatever was committed before. */
  private void commitSync(Collection<Partition> partitions, Duration timeout) {
    Map<TopicPartition, OffsetAndMetadata> offsets = committable(partitions, true);
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
   * Waits up to {@code timeout} until the producer acknowledged or failed every forward and relay
   * of {@code partitions} it has (a forward waiting to be retried is given up by then).
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
        log.info("{} forwards or relays of {} not acknowledged after {}; their records stay uncommitted",
            n, delayedTopic, timeout);
        return;
      }
      sleep(5);
    }
  }

  /**
   * Hands {@code partitions} over: relays their held records (and those whose relay failed and
   * wait to be held again), waits for every forward and relay in flight, then commits.
   */
  private void handOver(Collection<Partition> partitions, List<Held> heldOfThem, Duration timeout) {
    for (Held h : heldOfThem) {
      relay(h, true);
    }
    awaitForwards(partitions, timeout);
    commitSync(partitions, timeout);
    if (!heldOfThem.isEmpty()) {
      log.debug("forwarder of {}: relayed {} held records of {} to their tail", topic, heldOfThem.size(), partitions);
    }
  }

  /** Takes out of held (and of the failed relays) every record of {@code partitions}. */
  private List<Held> takeHeld(Collection<Partition> partitions) {
    Set<Partition> of = Collections.newSetFromMap(new IdentityHashMap<>());
    of.addAll(partitions);
    List<Held> taken = new ArrayList<>();
    Held r;
    while ((r = returned.poll()) != null) {
      if (of.contains(r.partition)) {
        taken.add(r);
      } else if (!r.partition.revoked) {
        held.add(r);
      }
    }
    held.removeIf(h -> {
      if (of.contains(h.partition)) {
        taken.add(h);
        return true;
      }
      return false;
    });
    return taken;
  }

  private void shutdown() {
    try {
      if (!owned.isEmpty()) {
        List<Partition> all = new ArrayList<>(owned.values());
        handOver(all, takeHeld(all), settings.closeTimeout());
        all.forEach(p -> p.revoked = true);
        owned.clear();
      }
      held.clear();
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
    return "DelayedForwarder{" + delayedTopic + " -> " + topic + ", forwarding=" + forwarding.get()
        + ", relaying=" + relaying.get() + '}';
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
   * An assigned partition of the delayed-publish topic: the offsets read and not yet done
   * (held, or forwarded or relayed without acknowledgement), so the commit position is the first of them.
   */
  private static final class Partition {
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

    Partition(TopicPartition tp) {
      this.tp = tp;
    }

    /** The first offset not yet done, else the one after the last read; -1 if none read. */
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
      List<Partition> revoked = owned(partitions);
      List<Held> heldOfThem = takeHeld(revoked);
      forget(revoked);
      handOver(revoked, heldOfThem, settings.revokeTimeout());
      log.debug("forwarder of {}: revoked {}", topic, partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      List<Partition> lost = owned(partitions);
      takeHeld(lost);
      forget(lost);
      log.info("forwarder of {}: lost {} (session expired); their unforwarded records go to the next owner",
          topic, partitions);
    }

    private List<Partition> owned(Collection<TopicPartition> partitions) {
      List<Partition> of = new ArrayList<>();
      for (TopicPartition tp : partitions) {
        Partition p = owned.get(tp);
        if (p != null) {
          of.add(p);
        }
      }
      return of;
    }

    /** Stops forwarding the partitions' records and forgets the partitions (their commit follows). */
    private void forget(List<Partition> partitions) {
      for (Partition p : partitions) {
        p.revoked = true;
        owned.remove(p.tp);
      }
      assignmentChanged = true;
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
