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
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One member of a consumer group, reading a topic and the group's delay topic on one poll thread,
 * the only one touching the {@link KafkaConsumer}. It hands records to the sink in offset order
 * (the core's per-key lanes keep a key's order), pauses every partition while maxInFlight
 * deliveries are unsettled, and commits per partition up to the first record not done
 * ({@link CommitTracker}). On revocation it withdraws deliveries not started, waits up to the
 * revoke timeout for running ones and commits what completed; on close it withdraws the same way,
 * waits up to the close timeout for copies in flight and commits. A released record is read again
 * (seek back), uncounted. A nack, or a record published with a delay, is copied to the delay topic
 * ({@link DelayTopicRepublisher}; the original is done once the copy is confirmed); delay records
 * not yet due wait in the {@link DelayHold}. A redelivery may be overtaken by later messages of its
 * key (as on every adapter). The receiver does not hold back a key's next record itself: handlers of
 * different keys run in parallel beyond the partition count, and only the core's lanes wait.
 */
public final class KafkaReceiver implements Receiver {
  private static final Logger log = LoggerFactory.getLogger(KafkaReceiver.class);
  private static final long POLL_MILLIS = 100;
  /** A partition is paused while it tracks more than this many times maxInFlight records (behind one not done). */
  private static final int MAX_OPEN_PER_IN_FLIGHT = 10;
  /** The longest publish and redelivery delay the adapter offers. */
  public static final Duration MAX_DELAY = Duration.ofDays(1);

  /** What a receiver needs from its transport. */
  public record Settings(Duration commitInterval, Duration revokeTimeout, Duration joinTimeout,
      int maxDelayedHeld, Duration closeTimeout) {}

  private final ReceiveSpec spec;
  private final String what; // topic/group, for logs and threads
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
  private final CommitTracker commits;
  private final DelayHold hold;

  // Poll thread only.
  private final ArrayDeque<KafkaDelivery> pending = new ArrayDeque<>();
  private boolean pausedAll;
  private Set<TopicPartition> paused = Set.of();
  private boolean assignmentChanged;

  // Shared.
  private final AtomicInteger inFlight = new AtomicInteger();
  private final ConcurrentLinkedQueue<KafkaDelivery> releases = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean wakePending = new AtomicBoolean();
  private final CountDownLatch joined = new CountDownLatch(1);
  private volatile boolean blocked;
  private volatile boolean stopped;
  private volatile boolean closing;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicBoolean started = new AtomicBoolean();

  public KafkaReceiver(ReceiveSpec spec, String delayTopic, int delayPartitions, Properties consumerProps,
      Producer<byte[], byte[]> producer, Settings settings, DeliverySink sink, Consumer<KafkaReceiver> onClose) {
    this.spec = spec;
    this.what = spec.topic() + "/" + spec.group();
    this.delayTopic = delayTopic;
    this.sink = sink;
    this.settings = settings;
    this.onClose = onClose;
    this.maxInFlight = spec.maxInFlight();
    this.wakeThreshold = maxInFlight - Math.max(1, maxInFlight / 4);
    this.groupId = consumerProps.getProperty(ConsumerConfig.GROUP_ID_CONFIG);
    this.consumer = new KafkaConsumer<>(consumerProps);
    this.republisher = new DelayTopicRepublisher(what, delayTopic, delayPartitions, groupId, producer, closed,
        this::copyEnded);
    this.commits = new CommitTracker(consumer, what, settings.commitInterval());
    this.hold = new DelayHold(what, republisher, settings.maxDelayedHeld());
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
        log.warn("consumer of {} has not joined its group within {}; it keeps trying in the background", what,
            settings.joinTimeout());
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
      consumer.close(CloseOptions.timeout(Duration.ZERO));
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
      log.warn("the poll thread of {} did not stop in time", what);
    }
    onClose.accept(this);
  }

  /** Whether the poll thread has paused the source partitions (backpressure). For tests. */
  boolean pausedForBackpressure() {
    return pausedAll;
  }

  /** Copies to the delay topic queued or sent and not yet confirmed or given up. For tests. */
  int copiesInProgress() {
    return republisher.inProgress();
  }

  // ---- settlement, from any thread

  void settled(KafkaDelivery d, boolean counted) {
    d.partition.busy.decrementAndGet();
    if (counted) {
      released();
    }
  }

  /** A copy to the delay topic confirmed (the delivery done) or given up (it stays uncommitted). */
  private void copyEnded(KafkaDelivery d) {
    hold.copyEnded(d);
    settled(d, false);
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
      int failures = 0;
      while (!closing) {
        try {
          loopOnce();
          failures = 0;
        } catch (WakeupException e) {
          // woken by a settlement that freed capacity, a release, close or stopFetching: go round
        } catch (RuntimeException e) {
          failures++;
          log.warn("consumer of {} failed ({}); retrying", what, e.toString(), failures == 1 ? e : null);
          Threads.sleep(Math.min(5_000, 100L * failures));
        } finally {
          wakePending.set(false);
          blocked = false;
        }
      }
    } catch (Throwable t) {
      log.error("the poll thread of {} stopped; its unsettled messages return to the group", what, t);
    } finally {
      joined.countDown();
      shutdown();
    }
  }

  private void loopOnce() {
    long now = System.currentTimeMillis();
    seekReleased();
    if (stopped) {
      hold.takeBack(pending, delayTopic);
    } else {
      hold.releaseDue(now, pending::addLast);
      handOver();
      hold.relayByRules(now, commits.all());
    }
    applyPause(now);
    commits.commitIfDue();
    long timeout = hold.waitMillis(now, POLL_MILLIS);
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
      PartitionOffsets<KafkaDelivery> po = commits.get(new TopicPartition(r.topic(), r.partition()));
      if (po == null) {
        continue; // not ours any more: the next owner reads it
      }
      if (r.offset() < po.next) { // read again after a seek back: handed over again only if it was released
        KafkaDelivery earlier = po.openAt(r.offset());
        if (earlier == null || !earlier.isReleased()) {
          continue;
        }
      }
      boolean fromDelay = r.topic().equals(delayTopic);
      if (fromDelay && !RecordMapper.isForGroup(r, groupId)) {
        po.read(r.offset()); // another group's redelivery in a delay topic of the same name
        continue;
      }
      KafkaDelivery d = new KafkaDelivery(this, po, r, fromDelay);
      po.open(r.offset(), d);
      if (stopped) {
        if (fromDelay) {
          hold.hold(d); // relayed on close rather than pinning its delay partition
        }
        continue;
      }
      long publishDue = fromDelay ? 0 : RecordMapper.publishDue(r);
      if (publishDue > now) {
        hold.delayPublished(d, publishDue, now);
      } else if (d.due > now) {
        hold.hold(d);
      } else {
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
      d.partition.busy.incrementAndGet();
      inFlight.incrementAndGet();
      d.handed = true;
      try {
        sink.accept(d);
      } catch (RuntimeException e) {
        log.error("the delivery sink of {} threw; the record stays uncommitted", what, e);
      }
    }
  }

  /**
   * Pauses every partition while records wait for capacity; the delay partitions while the hold is
   * full ({@link RelayRules#pause}); and any partition piling up records behind one not done, unless
   * that one was released and is to be read again (pausing would never read it again).
   */
  private void applyPause(long now) {
    boolean all = stopped || !pending.isEmpty();
    boolean delay = all || hold.full(now);
    Set<TopicPartition> want = new HashSet<>();
    for (PartitionOffsets<KafkaDelivery> po : commits.all()) {
      boolean isDelay = po.tp.topic().equals(delayTopic);
      // A delay partition's held records pinning it are relayed past RelayRules.PIN_RELAY_LAG.
      long maxOpen = isDelay ? Math.max(MAX_OPEN_PER_IN_FLIGHT * maxInFlight, RelayRules.PIN_RELAY_LAG)
          : MAX_OPEN_PER_IN_FLIGHT * maxInFlight;
      if ((isDelay ? delay : all) || po.behind() > maxOpen && !rereadingFirst(po)) {
        want.add(po.tp);
      }
    }
    pausedAll = all;
    if (want.equals(paused) && !assignmentChanged) {
      return;
    }
    Set<TopicPartition> resume = new HashSet<>(consumer.assignment());
    resume.removeAll(want);
    want.retainAll(consumer.assignment());
    consumer.pause(want);
    consumer.resume(resume);
    paused = want;
    assignmentChanged = false;
  }

  private static boolean rereadingFirst(PartitionOffsets<KafkaDelivery> po) {
    KafkaDelivery first = po.first();
    return first != null && first.isReleased();
  }

  /** Seeks back to each partition's first released delivery; never forward (an earlier seek back covers it). */
  private void seekReleased() {
    Map<TopicPartition, Long> seekTo = new HashMap<>();
    KafkaDelivery d;
    while ((d = releases.poll()) != null) {
      if (d.partition.revoked || stopped || commits.get(d.partition.tp) != d.partition) {
        continue; // uncommitted: whoever owns the partition next reads it
      }
      seekTo.merge(d.partition.tp, d.offset(), Math::min);
    }
    seekTo.forEach((tp, offset) -> {
      if (offset < consumer.position(tp)) {
        consumer.seek(tp, offset);
      }
    });
  }

  /** Takes back the partitions' deliveries no handler started, so none runs here once another member owns them. */
  private void withdraw(Collection<PartitionOffsets<KafkaDelivery>> partitions) {
    int n = 0;
    for (PartitionOffsets<KafkaDelivery> po : partitions) {
      for (KafkaDelivery d : po.openItems()) {
        if (d.handed && d.withdraw()) {
          settled(d, true);
          n++;
        }
      }
    }
    if (n > 0) {
      log.debug("{}: withdrew {} deliveries whose handlers had not started", what, n);
    }
  }

  private void shutdown() {
    try {
      hold.takeBack(pending, delayTopic); // close may end the loop before a round saw it stopped
      // The group reads them again once this member leaves: no handler may start them here too.
      List<PartitionOffsets<KafkaDelivery>> all = new ArrayList<>(commits.all());
      hold.relayOf(all);
      hold.clear();
      withdraw(all);
      if (!all.isEmpty()) {
        // A redelivery's or relay's offset becomes committable once its copy is confirmed: wait for those.
        Threads.awaitUntil(settings.closeTimeout(), () -> republisher.inProgress() == 0);
        commits.commitSync(all, settings.closeTimeout());
        commits.forget(all);
      }
    } catch (RuntimeException e) {
      log.warn("final commit of {} failed ({})", what, e.toString());
    } finally {
      try {
        republisher.close();
        consumer.close(CloseOptions.timeout(settings.closeTimeout()));
      } catch (RuntimeException e) {
        log.debug("closing the consumer of {} failed", what, e);
      }
    }
  }

  @Override
  public String toString() {
    return "KafkaReceiver{" + what + ", inFlight=" + inFlight.get() + '}';
  }

  /** Rebalance callbacks, called by the poll thread inside poll(). */
  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (!partitions.isEmpty()) {
        giveUp(partitions, true);
        log.debug("{}: revoked {}", what, partitions);
      }
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      giveUp(partitions, false);
      log.info("{}: lost {} (session expired); their uncommitted records go to the next owner", what, partitions);
    }

    /** Stops dispatching the partitions; if revoked (not lost), relays their held records, waits and commits. */
    private void giveUp(Collection<TopicPartition> partitions, boolean commit) {
      Set<TopicPartition> gone = new HashSet<>(partitions);
      List<PartitionOffsets<KafkaDelivery>> of = commits.of(gone);
      if (commit) {
        hold.relayOf(of);
      }
      pending.removeIf(d -> gone.contains(d.partition.tp));
      hold.drop(gone);
      withdraw(of);
      if (commit) {
        commits.awaitIdle(of, settings.revokeTimeout());
        commits.commitSync(of, settings.revokeTimeout());
      }
      commits.forget(of);
      assignmentChanged = true;
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      commits.assigned(partitions);
      assignmentChanged = true;
      joined.countDown();
      log.debug("{}: assigned {}", what, partitions);
    }
  }
}
