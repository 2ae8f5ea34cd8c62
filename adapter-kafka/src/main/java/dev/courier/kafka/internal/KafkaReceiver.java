package dev.courier.kafka.internal;

import dev.courier.spi.DeliverySink;
import dev.courier.spi.ReceiveSpec;
import dev.courier.spi.Receiver;
import dev.courier.spi.support.Threads;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One member of a consumer group, consuming a topic and the group's delay topic with one poll
 * thread. The poll thread alone touches the {@link KafkaConsumer}: it hands records to the sink
 * (Courier's core runs the handlers on its own threads, with per-key lanes), keeps at most
 * maxInFlight deliveries unsettled by pausing every partition while it cannot hand over (never by
 * buffering more than one poll's records), commits per partition only up to the first record not
 * yet done (pausing a partition that tracks over 10 x maxInFlight records behind one not done), and
 * on revocation stops dispatching the revoked partitions, withdraws their deliveries whose handlers
 * have not started ({@link KafkaDelivery#isWithdrawn()}), waits up to the revoke timeout for the
 * running ones, commits what completed and leaves the rest to the next owner; close withdraws them
 * the same way. A released delivery
 * stays uncommitted and is read again (the poll thread seeks its partition back), uncounted.
 *
 * <p>Redelivery: a nack republishes the record to the delay topic ({@link DelayTopicRepublisher}),
 * with the Kafka group it belongs to (a delay topic name can serve two groups; each skips the
 * other's records); the original's offset completes once the copy is confirmed. Delay records that are not
 * yet due are held in memory, ordered by due time, up to a bound, beyond which the delay partitions
 * are paused; their offsets are not committed until they are handled, so a restart reads them again.
 * A redelivery may be overtaken by later messages of its key (as on every adapter).
 *
 * <p>Key order: a key lives in one partition, owned by one member, and records are handed over in
 * offset order; the core's per-key lanes then run same-key deliveries one at a time. The receiver
 * does not hold back a key's next record itself, so handlers of different keys run in parallel
 * beyond the partition count and only the lanes wait.
 */
public final class KafkaReceiver implements Receiver {
  private static final Logger log = LoggerFactory.getLogger(KafkaReceiver.class);
  private static final long POLL_MILLIS = 100;
  /** A partition is paused while it tracks more than this many times maxInFlight records (behind one not done). */
  private static final int MAX_OPEN_PER_IN_FLIGHT = 10;

  /** What a receiver needs from its transport. */
  public record Settings(Duration commitInterval, Duration revokeTimeout, Duration joinTimeout,
      int maxDelayedHeld, Duration closeTimeout) {}

  private final ReceiveSpec spec;
  private final String delayTopic;
  private final DeliverySink sink;
  private final Settings settings;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Consumer<KafkaReceiver> onClose;
  private final Thread thread;
  private final int maxInFlight;
  private final int wakeThreshold;
  private final String groupId;
  private final DelayTopicRepublisher republisher;

  // Poll thread only.
  private final Map<TopicPartition, PartitionOffsets> owned = new HashMap<>();
  private final ArrayDeque<KafkaDelivery> pending = new ArrayDeque<>();
  private final PriorityQueue<KafkaDelivery> held =
      new PriorityQueue<>((a, b) -> Long.compare(a.due, b.due));
  private boolean pausedAll;
  private Set<TopicPartition> paused = Set.of();
  private boolean assignmentChanged;
  private long nextCommitAt;

  // Shared.
  private final AtomicInteger inFlight = new AtomicInteger();
  private final ConcurrentLinkedQueue<KafkaDelivery> releases = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean wakePending = new AtomicBoolean();
  private final CountDownLatch joined = new CountDownLatch(1);
  private final Object monitor = new Object();
  private volatile boolean blocked;
  private volatile boolean stopped;
  private volatile boolean closing;
  private volatile boolean revoking;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicBoolean started = new AtomicBoolean();

  public KafkaReceiver(ReceiveSpec spec, String delayTopic, int delayPartitions, Properties consumerProps,
      Producer<byte[], byte[]> producer, Settings settings, DeliverySink sink, Consumer<KafkaReceiver> onClose) {
    this.spec = spec;
    this.delayTopic = delayTopic;
    this.sink = sink;
    this.settings = settings;
    this.onClose = onClose;
    this.maxInFlight = spec.maxInFlight();
    this.wakeThreshold = maxInFlight - Math.max(1, maxInFlight / 4);
    this.groupId = consumerProps.getProperty(ConsumerConfig.GROUP_ID_CONFIG);
    this.consumer = new KafkaConsumer<>(consumerProps);
    this.republisher = new DelayTopicRepublisher(spec.topic() + "/" + spec.group(), delayTopic, delayPartitions,
        groupId, producer, closed, d -> settled(d, false));
    this.thread = Threads.thread("courier-kafka-" + spec.topic() + "-" + spec.group(), true, this::run);
  }

  /** Starts the poll thread and waits (up to the join timeout) until the group gave this member its partitions. */
  public void start() {
    if (closed.get() || !started.compareAndSet(false, true)) {
      return;
    }
    thread.start();
    try {
      if (!joined.await(settings.joinTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn("consumer of {}/{} has not joined its group within {}; it keeps trying in the background",
            spec.topic(), spec.group(), settings.joinTimeout());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void stopFetching() {
    stopped = true;
    wake();
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    stopped = true;
    closing = true;
    if (started.compareAndSet(false, true)) {
      // Never started (the transport closed meanwhile): nothing runs, only the clients to free.
      republisher.close();
      consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ZERO));
      onClose.accept(this);
      return;
    }
    wake();
    try {
      thread.join(settings.closeTimeout().toMillis() + settings.revokeTimeout().toMillis() + 5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      log.warn("the poll thread of {}/{} did not stop in time", spec.topic(), spec.group());
    }
    onClose.accept(this);
  }

  /** Deliveries handed to the sink and not yet settled. */
  int inFlight() {
    return inFlight.get();
  }

  /** Whether the poll thread has paused the source partitions (backpressure). For tests. */
  boolean pausedForBackpressure() {
    return pausedAll;
  }

  // ---- settlement, from any thread

  void settled(KafkaDelivery d, boolean counted) {
    d.partition.outstanding.decrementAndGet();
    if (revoking) {
      synchronized (monitor) {
        monitor.notifyAll();
      }
    }
    if (counted) {
      released();
    }
  }

  private void released() {
    int now = inFlight.decrementAndGet();
    if (blocked && now <= wakeThreshold) {
      wake();
    }
  }

  void redeliver(KafkaDelivery d, Duration after) {
    released();
    if (stopped || d.partition.revoked) {
      // Stopping: leave it uncommitted, so the group's next owner reads it again, count unchanged.
      settled(d, false);
      return;
    }
    d.redeliverAt = System.currentTimeMillis() + after.toMillis();
    republisher.republish(d);
  }

  /** A released delivery: uncounted, uncommitted, and read again by the poll thread (seek back). */
  void release(KafkaDelivery d) {
    settled(d, true);
    if (!stopped && !d.partition.revoked) {
      releases.add(d);
      wake();
    }
  }

  private void wake() {
    if (wakePending.compareAndSet(false, true)) {
      consumer.wakeup();
    }
  }

  // ---- the poll thread

  private void run() {
    try {
      consumer.subscribe(List.of(spec.topic(), delayTopic), new Rebalance());
      nextCommitAt = System.currentTimeMillis() + settings.commitInterval().toMillis();
      int failures = 0;
      while (!closing) {
        try {
          loopOnce();
          failures = 0;
        } catch (WakeupException e) {
          // a settlement freed capacity, or close/stopFetching: go round
        } catch (RuntimeException e) {
          failures++;
          log.warn("consumer of {}/{} failed ({}); retrying", spec.topic(), spec.group(), e.toString(),
              failures == 1 ? e : null);
          pause(Math.min(5_000, 100L * failures));
        } finally {
          wakePending.set(false);
          blocked = false;
        }
      }
    } catch (Throwable t) {
      log.error("the poll thread of {}/{} stopped; its unsettled messages return to the group",
          spec.topic(), spec.group(), t);
    } finally {
      joined.countDown();
      shutdown();
    }
  }

  private void loopOnce() {
    long now = System.currentTimeMillis();
    seekReleased();
    releaseDue(now);
    if (stopped) {
      pending.clear();
      held.clear();
    } else {
      handOver();
    }
    applyPause();
    if (now >= nextCommitAt) {
      commitAsync();
      nextCommitAt = now + settings.commitInterval().toMillis();
    }
    long timeout = POLL_MILLIS;
    if (!held.isEmpty()) {
      timeout = Math.max(0, Math.min(timeout, held.peek().due - now));
    }
    boolean full = !stopped && (!pending.isEmpty() || inFlight.get() >= maxInFlight);
    blocked = full;
    if (full && inFlight.get() <= wakeThreshold) {
      blocked = false; // capacity came back between the hand-over and now
      timeout = 0;
    }
    ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(timeout));
    blocked = false;
    if (!records.isEmpty()) {
      accept(records, System.currentTimeMillis());
    }
  }

  private void accept(ConsumerRecords<byte[], byte[]> records, long now) {
    for (ConsumerRecord<byte[], byte[]> r : records) {
      PartitionOffsets po = owned.get(new TopicPartition(r.topic(), r.partition()));
      if (po == null) {
        continue; // not ours any more: the next owner reads it
      }
      boolean fromDelay = r.topic().equals(delayTopic);
      KafkaDelivery d = new KafkaDelivery(this, po, r, fromDelay);
      if (!po.add(d)) {
        continue; // read again after a seek back, and still pending, running or done
      }
      if (fromDelay && !RecordMapper.isForGroup(r, groupId)) {
        d.markDone(); // another group's redelivery in a delay topic of the same name
        continue;
      }
      if (stopped) {
        continue;
      }
      if (d.due > now) {
        held.add(d);
      } else {
        pending.addLast(d);
      }
    }
  }

  private void releaseDue(long now) {
    KafkaDelivery d;
    while ((d = held.peek()) != null && d.due <= now) {
      held.poll();
      if (!d.partition.revoked) {
        pending.addLast(d);
      }
    }
  }

  private void handOver() {
    KafkaDelivery d;
    while (inFlight.get() < maxInFlight && (d = pending.pollFirst()) != null) {
      if (d.partition.revoked) {
        continue;
      }
      d.partition.outstanding.incrementAndGet();
      inFlight.incrementAndGet();
      d.handed = true;
      try {
        sink.accept(d);
      } catch (RuntimeException e) {
        log.error("the delivery sink of {}/{} threw; the record stays uncommitted", spec.topic(), spec.group(), e);
      }
    }
  }

  /**
   * Pauses every partition while records wait for capacity; the delay partitions while too many are
   * held; and any partition whose tracked records pile up behind one not yet done.
   */
  private void applyPause() {
    boolean all = stopped || !pending.isEmpty();
    boolean delay = all || held.size() >= settings.maxDelayedHeld();
    Set<TopicPartition> want = new HashSet<>();
    for (Map.Entry<TopicPartition, PartitionOffsets> e : owned.entrySet()) {
      boolean isDelay = e.getKey().topic().equals(delayTopic);
      int maxOpen = isDelay ? Math.max(MAX_OPEN_PER_IN_FLIGHT * maxInFlight, settings.maxDelayedHeld())
          : MAX_OPEN_PER_IN_FLIGHT * maxInFlight;
      if ((isDelay ? delay : all) || e.getValue().size() > maxOpen) {
        want.add(e.getKey());
      }
    }
    pausedAll = all;
    if (want.equals(paused) && !assignmentChanged) {
      return;
    }
    List<TopicPartition> resume = new ArrayList<>();
    for (TopicPartition tp : consumer.assignment()) {
      if (!want.contains(tp)) {
        resume.add(tp);
      }
    }
    want.retainAll(consumer.assignment());
    if (!want.isEmpty()) {
      consumer.pause(want);
    }
    if (!resume.isEmpty()) {
      consumer.resume(resume);
    }
    paused = want;
    assignmentChanged = false;
  }

  /**
   * Seeks each partition with released deliveries back to the first of them, to read them again;
   * never forward: an earlier seek back not yet read again (the partition paused meanwhile) already
   * covers a later release.
   */
  private void seekReleased() {
    Map<TopicPartition, Long> seekTo = new HashMap<>();
    KafkaDelivery d;
    while ((d = releases.poll()) != null) {
      if (d.partition.revoked || stopped || owned.get(d.partition.partition) != d.partition) {
        continue; // uncommitted: whoever owns the partition next reads it
      }
      seekTo.merge(d.partition.partition, d.offset(), Math::min);
    }
    seekTo.forEach((tp, offset) -> {
      if (offset < consumer.position(tp)) {
        consumer.seek(tp, offset);
      }
    });
  }

  /**
   * The positions to commit: for an asynchronous commit only those that moved since the last one;
   * for a synchronous one (revoke, close: the last chance before another member reads the partition)
   * every position, since an asynchronous commit still in flight may fail in the very rebalance that
   * revokes the partition, and skipping its position would have the next owner read again what was
   * done here.
   */
  private Map<TopicPartition, OffsetAndMetadata> committable(Collection<PartitionOffsets> partitions, boolean all) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (PartitionOffsets po : partitions) {
      long p = all ? po.position() : po.positionToCommit();
      if (p >= 0) {
        offsets.put(po.partition, new OffsetAndMetadata(p));
      }
    }
    return offsets;
  }

  private void commitAsync() {
    Map<TopicPartition, OffsetAndMetadata> offsets = committable(owned.values(), false);
    if (offsets.isEmpty()) {
      return;
    }
    Map<TopicPartition, PartitionOffsets> targets = new HashMap<>();
    offsets.forEach((tp, o) -> {
      PartitionOffsets po = owned.get(tp);
      po.committed(o.offset());
      targets.put(tp, po);
    });
    consumer.commitAsync(offsets, (done, e) -> {
      if (e != null) {
        log.debug("commit of {}/{} failed ({}); retried with the next commit", spec.topic(), spec.group(), e.toString());
        targets.values().forEach(PartitionOffsets::commitFailed);
      }
    });
  }

  private void commitSync(Collection<PartitionOffsets> partitions, Duration timeout) {
    Map<TopicPartition, OffsetAndMetadata> offsets = committable(partitions, true);
    if (offsets.isEmpty()) {
      return;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
      try {
        consumer.commitSync(offsets, timeout);
        for (PartitionOffsets po : partitions) {
          OffsetAndMetadata o = offsets.get(po.partition);
          if (o != null) {
            po.committed(o.offset());
          }
        }
        return;
      } catch (WakeupException e) {
        // a pending wake-up, not a failure: commit again
      } catch (RuntimeException e) {
        log.warn("could not commit the completed offsets of {}/{} ({}); those records are read again by the group",
            spec.topic(), spec.group(), e.toString());
        return;
      }
    }
  }

  /** Waits up to {@code timeout} until no delivery of {@code partitions} is outstanding. */
  private void awaitOutstanding(Collection<PartitionOffsets> partitions, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (monitor) {
      revoking = true;
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
            log.info("{} deliveries of {}/{} still running after {}; they are left to the partitions' next owner",
                outstanding, spec.topic(), spec.group(), timeout);
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
        revoking = false;
      }
    }
  }

  private void drop(Set<TopicPartition> partitions) {
    pending.removeIf(d -> partitions.contains(d.partition.partition));
    held.removeIf(d -> partitions.contains(d.partition.partition));
  }

  /**
   * Takes back the partitions' deliveries that the sink has and no handler started (queued in the
   * core's queue or lanes), so they are never handled here once the partition has a new owner.
   */
  private void withdraw(Collection<PartitionOffsets> partitions) {
    int n = 0;
    for (PartitionOffsets po : partitions) {
      for (KafkaDelivery d : po.deliveries()) {
        if (d.handed && d.withdraw()) {
          settled(d, true);
          n++;
        }
      }
    }
    if (n > 0) {
      log.debug("{}/{}: withdrew {} deliveries whose handlers had not started", spec.topic(), spec.group(), n);
    }
  }

  private void shutdown() {
    try {
      pending.clear();
      held.clear();
      // The group reads them again once this member leaves: no handler may start them here too.
      withdraw(owned.values());
      if (!owned.isEmpty()) {
        // A redelivery's offset becomes committable once its copy is confirmed: wait for those.
        long deadline = System.nanoTime() + settings.closeTimeout().toNanos();
        while (republisher.inProgress() > 0 && System.nanoTime() < deadline) {
          pause(5);
        }
        commitSync(new ArrayList<>(owned.values()), settings.closeTimeout());
        owned.values().forEach(po -> po.revoked = true);
        owned.clear();
      }
    } catch (RuntimeException e) {
      log.warn("final commit of {}/{} failed ({})", spec.topic(), spec.group(), e.toString());
    } finally {
      try {
        republisher.close();
        consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(settings.closeTimeout()));
      } catch (RuntimeException e) {
        log.debug("closing the consumer of {}/{} failed", spec.topic(), spec.group(), e);
      }
    }
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "KafkaReceiver{" + spec.topic() + "/" + spec.group() + ", inFlight=" + inFlight.get() + '}';
  }

  /** Rebalance callbacks, called by the poll thread inside poll(). */
  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (partitions.isEmpty()) {
        return;
      }
      Set<TopicPartition> gone = new HashSet<>(partitions);
      drop(gone);
      List<PartitionOffsets> revoked = new ArrayList<>();
      for (TopicPartition tp : gone) {
        PartitionOffsets po = owned.get(tp);
        if (po != null) {
          revoked.add(po);
        }
      }
      withdraw(revoked);
      awaitOutstanding(revoked, settings.revokeTimeout());
      commitSync(revoked, settings.revokeTimeout());
      for (PartitionOffsets po : revoked) {
        po.revoked = true;
        owned.remove(po.partition);
      }
      assignmentChanged = true;
      log.debug("{}/{}: revoked {}", spec.topic(), spec.group(), gone);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      Set<TopicPartition> gone = new HashSet<>(partitions);
      drop(gone);
      List<PartitionOffsets> lost = new ArrayList<>();
      owned.forEach((tp, po) -> {
        if (gone.contains(tp)) {
          lost.add(po);
        }
      });
      withdraw(lost);
      for (Iterator<Map.Entry<TopicPartition, PartitionOffsets>> it = owned.entrySet().iterator(); it.hasNext(); ) {
        Map.Entry<TopicPartition, PartitionOffsets> e = it.next();
        if (gone.contains(e.getKey())) {
          e.getValue().revoked = true;
          it.remove();
        }
      }
      assignmentChanged = true;
      log.info("{}/{}: lost {} (session expired); their uncommitted records go to the next owner",
          spec.topic(), spec.group(), gone);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      for (TopicPartition tp : partitions) {
        owned.put(tp, new PartitionOffsets(tp));
      }
      assignmentChanged = true;
      joined.countDown();
      log.debug("{}/{}: assigned {}", spec.topic(), spec.group(), partitions);
    }
  }
}
