package dev.courier.kafka.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A receiver's delay records not due yet, held in memory by due time, and their copies to the tail
 * of the delay topic: delayed publishes, and held records relayed as {@link RelayRules} says. The
 * original is busy until its copy is confirmed, so a revocation waits for it. The poll thread's alone.
 */
final class DelayHold {
  private static final Logger log = LoggerFactory.getLogger(DelayHold.class);
  private final String what;
  private final DelayTopicRepublisher republisher;
  private final RelayRules rules;
  private final PriorityQueue<KafkaDelivery> held = new PriorityQueue<>((a, b) -> Long.compare(a.due, b.due));
  /** Relays not yet confirmed or given up (redeliveries and delayed publishes on their way are not relays). */
  private final AtomicInteger relaying = new AtomicInteger();

  /** @param what the receiver's topic/group, for logs */
  DelayHold(String what, DelayTopicRepublisher republisher, int maxHeld) {
    this.what = what;
    this.republisher = republisher;
    this.rules = new RelayRules(maxHeld);
  }

  /** Holds {@code d}, a delay-topic record due later. */
  void hold(KafkaDelivery d) {
    held.add(d);
  }

  /** Copies {@code d}, published with a delay, to the delay topic (due at most MAX_DELAY on: the header may be foreign). */
  void delayPublished(KafkaDelivery d, long publishDue, long now) {
    toDelayTopic(d, Math.min(publishDue, now + KafkaReceiver.MAX_DELAY.toMillis()));
  }

  /** Stopped: holds the delay records of {@code pending}, to relay on close; the rest stays uncommitted. Empties it. */
  void takeBack(Queue<KafkaDelivery> pending, String delayTopic) {
    KafkaDelivery d;
    while ((d = pending.poll()) != null) {
      if (d.record.topic().equals(delayTopic)) {
        held.add(d);
      }
    }
  }

  /** Hands each held record due by {@code now}, of a partition still owned, to {@code due}. */
  void releaseDue(long now, Consumer<KafkaDelivery> due) {
    KafkaDelivery d;
    while ((d = held.peek()) != null && d.due <= now) {
      held.poll();
      if (!d.partition.revoked) {
        due.accept(d);
      }
    }
  }

  /** Milliseconds until the first held record is due, at most {@code max}; 0 if it is due. */
  long waitMillis(long now, long max) {
    KafkaDelivery first = held.peek();
    return first == null ? max : Math.max(0, Math.min(max, first.due - now));
  }

  /** Whether to pause the delay partitions: the hold is full and relays are in flight or their interval runs. */
  boolean full(long now) {
    return rules.pause(held.size(), relaying.get(), now);
  }

  /** Relays what {@link RelayRules} says to now: the farthest-due beyond the limit, the pinning ones. */
  void relayByRules(long now, Collection<PartitionOffsets<KafkaDelivery>> partitions) {
    int excess = rules.overflow(held.size(), now);
    if (excess > 0) {
      List<KafkaDelivery> byDueDescending = new ArrayList<>(held);
      byDueDescending.sort((a, b) -> Long.compare(b.due, a.due));
      log.debug("{} holds more than {} records; relaying the {} farthest-due", what, rules.maxHeld(), excess);
      relayAll(byDueDescending.subList(0, excess));
    }
    for (PartitionOffsets<KafkaDelivery> po : partitions) {
      long cutoff = RelayRules.pinCutoff(po.position(), po.next, po.pinCheckedAt);
      if (cutoff < 0) {
        continue;
      }
      po.pinCheckedAt = po.next; // pinned by a record in flight, perhaps: look again after another half lag
      List<KafkaDelivery> pinning = held.stream().filter(d -> d.partition == po && d.offset() < cutoff).toList();
      if (!pinning.isEmpty()) {
        log.debug("{}: {} held records pin the commit of {} at {}; relaying them", what, pinning.size(), po.tp,
            po.position());
        relayAll(pinning);
      }
    }
  }

  /** Relays the held records of {@code partitions}, being given up: the copies keep them, the originals get committed. */
  void relayOf(Collection<PartitionOffsets<KafkaDelivery>> partitions) {
    List<KafkaDelivery> of = held.stream().filter(d -> partitions.contains(d.partition)).toList();
    if (!of.isEmpty()) {
      relayAll(of);
      log.debug("{}: relayed {} held records to the tail of the delay topic", what, of.size());
    }
  }

  /** Forgets the held records of {@code partitions}: uncommitted, they go to the partitions' next owner. */
  void drop(Set<TopicPartition> partitions) {
    held.removeIf(d -> partitions.contains(d.partition.tp));
  }

  void clear() {
    held.clear();
  }

  private void relayAll(Collection<KafkaDelivery> which) {
    Set<KafkaDelivery> set = Collections.newSetFromMap(new IdentityHashMap<>());
    set.addAll(which);
    held.removeIf(set::contains);
    relaying.addAndGet(set.size());
    for (KafkaDelivery d : set) {
      d.relay = true;
      toDelayTopic(d, d.due);
    }
  }

  /** Called when a copy of {@code d} to the delay topic is confirmed or given up, from any thread. */
  void copyEnded(KafkaDelivery d) {
    if (d.relay) {
      d.relay = false;
      relaying.decrementAndGet();
    }
  }

  /** Writes a copy of {@code d} to the delay topic, uncounted, due at {@code due}; {@code d} is busy until it is confirmed. */
  private void toDelayTopic(KafkaDelivery d, long due) {
    d.partition.busy.incrementAndGet();
    d.uncounted = true;
    d.redeliverAt = due;
    republisher.republishLater(d);
  }
}
