package dev.courier.kafka.internal;

import dev.courier.spi.support.Threads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.TopicPartition;
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
 * next round-robin partition, as a direct publish would be ({@link ForwardSender}, which also
 * retries failed forwards). Records naming another topic (two topics whose delayed-publish topic
 * names coincide) are skipped.
 *
 * <p>Commits: per partition only offsets up to the first record not yet done are committed, so a
 * crash between a forward and its commit may forward a record twice but never loses one. Held
 * records that would pin that position are <em>relayed</em> to the tail of the delayed-publish
 * topic, by the rules of {@link RelayRules}: on revocation and close, beyond the hold limit, and
 * when the commit lags too far behind.
 */
public final class DelayedForwarder {
  private static final Logger log = LoggerFactory.getLogger(DelayedForwarder.class);
  private static final long POLL_MILLIS = 100;
  /** Records being forwarded (in the producer, or waiting to be retried), at most. */
  private static final int MAX_FORWARDING = 1_000;

  private static final Comparator<HeldRecord> BY_DUE = Comparator.comparingLong((HeldRecord h) -> h.due)
      .thenComparingInt(h -> h.record.partition()).thenComparingLong(h -> h.record.offset());

  private final String topic;
  private final String delayedTopic;
  private final KafkaReceiver.Settings settings;
  private final Consumer<DelayedForwarder> onStop;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final CommitTracker<HeldRecord> commits;
  private final Thread thread;

  // Poll thread only.
  private final PriorityQueue<HeldRecord> held = new PriorityQueue<>(BY_DUE);
  private boolean paused;
  private boolean assignmentChanged;
  private final RelayRules relayRules;

  // Shared.
  private final ForwardSender sender;
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
    this.settings = settings;
    this.onStop = onStop;
    this.relayRules = new RelayRules(settings.maxDelayedHeld());
    this.consumer = new KafkaConsumer<>(consumerProps);
    this.commits = new CommitTracker<>(consumer, delayedTopic, settings.commitInterval());
    this.sender = new ForwardSender(topic, delayedTopic, producer, unkeyedPartition, () -> closing);
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
      sender.close();
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

  // ---- the poll thread

  private void run() {
    try {
      consumer.subscribe(List.of(delayedTopic), new Rebalance());
      PollLoop.run(() -> closing, this::loopOnce, (e, failures) -> sender.loopFailed(e), () -> {});
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
    drainReturned();
    forwardDue(now);
    relayOverflow(now);
    relayPinning();
    applyPause(now);
    commits.commitIfDue();
    long timeout = POLL_MILLIS;
    HeldRecord head = held.peek();
    if (head != null && sender.forwarding() < MAX_FORWARDING) {
      timeout = Math.max(0, Math.min(timeout, head.due - now));
    }
    ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(timeout));
    for (ConsumerRecord<byte[], byte[]> r : records) {
      accept(r);
    }
  }

  private void accept(ConsumerRecord<byte[], byte[]> r) {
    PartitionOffsets<HeldRecord> p = commits.get(new TopicPartition(r.topic(), r.partition()));
    if (p == null || r.offset() < p.next) {
      return; // not ours any more, or seen already
    }
    if (!RecordMapper.isDelayedFor(r, topic)) {
      p.read(r.offset());
      log.debug("skipping {}-{}@{}: not a delayed publish for {}", r.topic(), r.partition(), r.offset(), topic);
      return;
    }
    HeldRecord h = new HeldRecord(p, r, RecordMapper.due(r));
    p.open(r.offset(), h);
    held.add(h);
  }

  /** Holds again the records whose relay failed, unless their partition went meanwhile. */
  private void drainReturned() {
    HeldRecord h;
    while ((h = sender.pollReturned()) != null) {
      if (!h.partition.revoked && commits.get(h.partition.tp) == h.partition) {
        held.add(h);
      }
    }
  }

  private void forwardDue(long now) {
    HeldRecord h;
    while (!closing && sender.forwarding() < MAX_FORWARDING && (h = held.peek()) != null && h.due <= now) {
      held.poll();
      sender.forwardTaken(h);
    }
  }

  /** Beyond maxDelayedHeld held records: relays the farthest-due ones, at most once per interval. */
  private void relayOverflow(long now) {
    int excess = relayRules.overflow(held.size(), now);
    if (excess == 0) {
      return;
    }
    List<HeldRecord> byDueDescending = new ArrayList<>(held);
    byDueDescending.sort(BY_DUE.reversed());
    relayAll(byDueDescending.subList(0, excess));
    log.debug("forwarder of {} holds more than {} records; relaying the {} farthest-due to the tail of {}",
        topic, settings.maxDelayedHeld(), excess, delayedTopic);
  }

  /** Relays the held records that pin a partition's commit far behind what was read. */
  private void relayPinning() {
    for (PartitionOffsets<HeldRecord> p : commits.all()) {
      long position = p.position();
      long cutoff = RelayRules.pinCutoff(position, p.next, p.pinCheckedAt);
      if (cutoff < 0) {
        continue;
      }
      p.pinCheckedAt = p.next; // pinned by a forward waiting for a retry, perhaps: look again later
      List<HeldRecord> pinning = new ArrayList<>();
      for (HeldRecord h : held) {
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
  private void relayAll(List<HeldRecord> which) {
    Set<HeldRecord> set = Collections.newSetFromMap(new IdentityHashMap<>());
    set.addAll(which);
    held.removeIf(set::contains);
    for (HeldRecord h : set) {
      sender.relay(h, false);
    }
  }

  /**
   * Pauses every partition while {@code maxDelayedHeld} records are held and either relays of the
   * farthest are in flight or the overflow relay interval runs; resumes otherwise.
   */
  private void applyPause(long now) {
    boolean want = relayRules.pause(held.size(), sender.relaying(), now);
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

  /**
   * Hands {@code partitions} over: relays their held records (and those whose relay failed and
   * wait to be held again), waits for every forward and relay in flight, then commits.
   */
  private void handOver(Collection<PartitionOffsets<HeldRecord>> partitions, List<HeldRecord> heldOfThem,
      Duration timeout) {
    for (HeldRecord h : heldOfThem) {
      sender.relay(h, true);
    }
    commits.awaitIdle(partitions, timeout);
    commits.commitSync(partitions, timeout);
    if (!heldOfThem.isEmpty()) {
      log.debug("forwarder of {}: relayed {} held records of {} to their tail", topic, heldOfThem.size(), partitions);
    }
  }

  /** Takes out of held (and of the failed relays) every record of {@code partitions}. */
  private List<HeldRecord> takeHeld(Collection<PartitionOffsets<HeldRecord>> partitions) {
    Set<PartitionOffsets<HeldRecord>> of = Collections.newSetFromMap(new IdentityHashMap<>());
    of.addAll(partitions);
    List<HeldRecord> taken = new ArrayList<>();
    HeldRecord r;
    while ((r = sender.pollReturned()) != null) {
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
      List<PartitionOffsets<HeldRecord>> all = new ArrayList<>(commits.all());
      if (!all.isEmpty()) {
        handOver(all, takeHeld(all), settings.closeTimeout());
        commits.forget(all);
      }
      held.clear();
    } catch (RuntimeException e) {
      log.warn("final commit of the forwarder of {} failed ({})", topic, e.toString());
    } finally {
      sender.close();
      try {
        consumer.close(CloseOptions.timeout(settings.closeTimeout()));
      } catch (RuntimeException e) {
        log.debug("closing the forwarder consumer of {} failed", topic, e);
      }
    }
  }

  @Override
  public String toString() {
    return "DelayedForwarder{" + delayedTopic + " -> " + topic + ", forwarding=" + sender.forwarding()
        + ", relaying=" + sender.relaying() + '}';
  }

  /** Rebalance callbacks, called by the poll thread inside poll(). */
  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (partitions.isEmpty()) {
        return;
      }
      List<PartitionOffsets<HeldRecord>> revoked = commits.of(partitions);
      List<HeldRecord> heldOfThem = takeHeld(revoked);
      forget(revoked);
      handOver(revoked, heldOfThem, settings.revokeTimeout());
      log.debug("forwarder of {}: revoked {}", topic, partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      List<PartitionOffsets<HeldRecord>> lost = commits.of(partitions);
      takeHeld(lost);
      forget(lost);
      log.info("forwarder of {}: lost {} (session expired); their unforwarded records go to the next owner",
          topic, partitions);
    }

    /** Stops forwarding the partitions' records and forgets the partitions (their commit follows). */
    private void forget(List<PartitionOffsets<HeldRecord>> partitions) {
      commits.forget(partitions);
      assignmentChanged = true;
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      commits.assigned(partitions);
      assignmentChanged = true;
      log.debug("forwarder of {}: assigned {}", topic, partitions);
    }
  }
}
