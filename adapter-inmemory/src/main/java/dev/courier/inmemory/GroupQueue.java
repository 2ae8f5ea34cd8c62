package dev.courier.inmemory;

import dev.courier.CapacityExceededException;
import dev.courier.Message;
import dev.courier.spi.DeliverySink;
import dev.courier.spi.support.SettleOnceDelivery;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One group's durable subscription on a topic: the messages it has yet to settle and the consumers
 * competing for them. All state is guarded by {@code this}; sinks are called outside the lock.
 *
 * <p>Where a consumer asked for key order, a message whose key already has a delivery in flight
 * is parked behind it and released, in order, when that delivery is settled; so same-key
 * messages never run concurrently, even on different consumers.
 */
final class GroupQueue {
  private final InMemoryBroker broker;
  final String topic;
  final String group;
  private final ArrayDeque<Entry> ready = new ArrayDeque<>();
  private final Map<String, ArrayDeque<Entry>> parked = new HashMap<>();
  // Keys with a delivery in flight, or whose next entry was released to the front of ready.
  private final Set<String> keysBusy = new java.util.HashSet<>();
  private boolean ordered;
  private final List<Consumer> consumers = new ArrayList<>();
  private int delayed;
  private int inFlight;
  private int parkedCount;
  private int nextConsumer;

  GroupQueue(InMemoryBroker broker, String topic, String group) {
    this.broker = broker;
    this.topic = topic;
    this.group = group;
  }

  /** Capacity check for every group of a topic happens before any group accepts the message. */
  synchronized void checkCapacity(int incoming) {
    if (size() + incoming > broker.maxGroupBacklog) {
      throw new CapacityExceededException("group '" + group + "' on topic '" + topic + "' holds "
          + size() + " unsettled messages, its limit (courier.inmemory.max-group-backlog) is "
          + broker.maxGroupBacklog + "; consume faster or raise the limit");
    }
  }

  /** Capacity check and enqueue under one lock: the common single-group case. */
  void enqueueChecked(Message message) {
    List<Dispatch> out;
    synchronized (this) {
      checkCapacity(1);
      ready.addLast(new Entry(message));
      out = dispatch();
    }
    deliver(out);
  }

  void enqueue(Message message) {
    List<Dispatch> out;
    synchronized (this) {
      ready.addLast(new Entry(message));
      out = dispatch();
    }
    deliver(out);
  }

  void enqueueDelayed(Message message, Duration delay) {
    Entry e = new Entry(message);
    synchronized (this) {
      delayed++;
    }
    broker.scheduler.schedule(() -> promote(e, false), delay.toNanos(), TimeUnit.NANOSECONDS);
  }

  private void promote(Entry e, boolean front) {
    List<Dispatch> out;
    synchronized (this) {
      delayed--;
      if (front) {
        ready.addFirst(e);
      } else {
        ready.addLast(e);
      }
      out = dispatch();
    }
    deliver(out);
  }

  synchronized int size() {
    return ready.size() + parkedCount + delayed + inFlight;
  }

  /** Up to {@code max} messages in delivery order, without consuming them. */
  synchronized List<Message> peek(int max) {
    List<Message> out = new ArrayList<>(Math.min(max, ready.size()));
    for (Entry e : ready) {
      if (out.size() >= max) {
        break;
      }
      out.add(e.message);
    }
    return out;
  }

  Consumer addConsumer(int maxInFlight, boolean ordered, DeliverySink sink) {
    Consumer c = new Consumer(maxInFlight, sink);
    List<Dispatch> out;
    synchronized (this) {
      // Order is a property of the group: once a consumer asks for it, every dispatch keeps it.
      this.ordered |= ordered;
      consumers.add(c);
      out = dispatch();
    }
    deliver(out);
    return c;
  }

  /** Hands ready messages to consumers with free credit, round robin. Caller holds the lock. */
  private List<Dispatch> dispatch() {
    List<Dispatch> out = null;
    if (!broker.isRunning()) {
      return null;
    }
    int n = consumers.size();
    while (!ready.isEmpty() && n > 0) {
      Consumer target = null;
      for (int i = 0; i < n; i++) {
        Consumer c = consumers.get((nextConsumer + i) % n);
        if (c.fetching && c.unsettled.size() < c.maxInFlight) {
          target = c;
          nextConsumer = (nextConsumer + i + 1) % n;
          break;
        }
      }
      if (target == null) {
        break;
      }
      Entry e = ready.pollFirst();
      String key = ordered ? e.message.key().orElse(null) : null;
      if (key != null) {
        if (e.released) {
          e.released = false; // its key is reserved for it
        } else if (!keysBusy.add(key)) {
          parked.computeIfAbsent(key, k -> new ArrayDeque<>(2)).addLast(e);
          parkedCount++;
          continue;
        }
      }
      e.deliveries++;
      Dispatch d = new Dispatch(e, target, key);
      target.unsettled.addLast(d);
      inFlight++;
      if (out == null) {
        out = new ArrayList<>(4);
      }
      out.add(d);
    }
    return out;
  }

  private static void deliver(List<Dispatch> out) {
    if (out != null) {
      for (Dispatch d : out) {
        d.consumer.sink.accept(d);
      }
    }
  }

  /**
   * Takes {@code d} out of flight. With {@code requeue}, its entry goes back to the front of the
   * queue keeping its key reserved (nothing overtakes it); otherwise the key passes to the next
   * parked entry. Caller holds the lock.
   */
  private void unsettle(Dispatch d, boolean requeue) {
    d.consumer.unsettled.removeFirstOccurrence(d);
    inFlight--;
    if (d.orderedKey == null) {
      if (requeue) {
        ready.addFirst(d.entry);
      }
      return;
    }
    if (requeue) {
      d.entry.released = true;
      ready.addFirst(d.entry);
      return;
    }
    ArrayDeque<Entry> lane = parked.get(d.orderedKey);
    if (lane == null) {
      keysBusy.remove(d.orderedKey);
      return;
    }
    Entry next = lane.pollFirst();
    parkedCount--;
    if (lane.isEmpty()) {
      parked.remove(d.orderedKey);
    }
    next.released = true;
    ready.addFirst(next);
  }

  void ack(Dispatch d) {
    List<Dispatch> out;
    synchronized (this) {
      unsettle(d, false);
      out = dispatch();
    }
    deliver(out);
  }

  void nack(Dispatch d, Duration delay, boolean countAsDelivery) {
    List<Dispatch> out;
    synchronized (this) {
      boolean now = delay.isZero() || delay.isNegative();
      unsettle(d, now);
      if (!countAsDelivery) {
        d.entry.deliveries--;
      }
      if (!now) {
        // Later same-key messages may overtake a delayed redelivery: order holds for successes.
        delayed++;
        try {
          broker.scheduler.schedule(() -> promote(d.entry, true), delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
          // The broker was discarded: redeliver now rather than lose the message.
          delayed--;
          ready.addFirst(d.entry);
        }
      }
      out = dispatch();
    }
    deliver(out);
  }

  void stopFetching(Consumer c) {
    synchronized (this) {
      c.fetching = false;
    }
  }

  /** Broker outage: every consumer's unsettled deliveries return to the queue, uncounted. */
  void returnUnsettled() {
    synchronized (this) {
      for (Consumer c : consumers) {
        requeueUnsettled(c);
      }
    }
  }

  void resume() {
    List<Dispatch> out;
    synchronized (this) {
      out = dispatch();
    }
    deliver(out);
  }

  /** Removes the consumer and returns everything it had not settled, without counting a delivery. */
  void removeConsumer(Consumer c) {
    List<Dispatch> out;
    synchronized (this) {
      c.fetching = false;
      consumers.remove(c);
      requeueUnsettled(c);
      nextConsumer = 0;
      out = dispatch();
    }
    deliver(out);
  }

  /** Caller holds the lock. */
  private void requeueUnsettled(Consumer c) {
    List<Dispatch> open = new ArrayList<>(c.unsettled);
    // Back to the front in reverse, so the earliest is first again.
    for (int i = open.size() - 1; i >= 0; i--) {
      Dispatch d = open.get(i);
      synchronized (d) { // atomic with tryStart, which stamps the start under the same lock
        if (!d.takeBack()) {
          continue;
        }
      }
      unsettle(d, true);
      d.entry.deliveries--;
    }
  }

  /**
   * Takes back deliveries left unsettled for longer than the ack timeout. One whose handler started
   * ({@link Dispatch#tryStart}), or last extended its lease, that long ago is redelivered and
   * counted, as after a crash. One still waiting for a free handler thread in its consumer went
   * nowhere: it returns to the group uncounted, so another consumer may take it, and the consumer skips its stale copy.
   */
  void expire(long nowNanos, long ackTimeoutNanos) {
    List<Dispatch> expired = null;
    synchronized (this) {
      for (Consumer c : consumers) {
        for (Dispatch d : c.unsettled) {
          long since = d.startedAt != 0 ? d.startedAt : d.dispatchedAt;
          if (nowNanos - since > ackTimeoutNanos) {
            if (expired == null) {
              expired = new ArrayList<>();
            }
            expired.add(d);
          }
        }
      }
    }
    if (expired != null) {
      for (Dispatch d : expired) {
        boolean started;
        synchronized (d) { // atomic with tryStart: a delivery is either started or withdrawn
          long since = d.startedAt != 0 ? d.startedAt : d.dispatchedAt;
          if (System.nanoTime() - since <= ackTimeoutNanos) {
            continue; // a handler started on it since the scan: its clock starts now
          }
          started = d.startedAt != 0;
          if (!d.takeBack()) {
            continue;
          }
        }
        nack(d, Duration.ZERO, started);
      }
    }
  }

  /** A message stored in the group, possibly delivered several times. */
  static final class Entry {
    final Message message;
    int deliveries; // guarded by the queue's lock
    boolean released; // at the front of ready with its key reserved; guarded by the queue's lock

    Entry(Message message) {
      this.message = message;
    }
  }

  /** One consumer (receiver) competing for the group's messages. */
  final class Consumer {
    final int maxInFlight;
    final DeliverySink sink;
    // Mostly settled in delivery order, so removal finds its dispatch near the head.
    final ArrayDeque<Dispatch> unsettled = new ArrayDeque<>();
    boolean fetching = true;

    Consumer(int maxInFlight, DeliverySink sink) {
      this.maxInFlight = maxInFlight;
      this.sink = sink;
    }

    GroupQueue queue() {
      return GroupQueue.this;
    }
  }

  /** One delivery of an entry to a consumer; settled once. */
  final class Dispatch extends SettleOnceDelivery {
    final Entry entry;
    final Consumer consumer;
    final String orderedKey;
    final int deliveryCount;
    final long dispatchedAt = System.nanoTime();
    volatile long startedAt; // System.nanoTime() when a handler started or last extended it (never 0 then); 0 before

    Dispatch(Entry entry, Consumer consumer, String orderedKey) {
      this.entry = entry;
      this.consumer = consumer;
      this.orderedKey = orderedKey;
      this.deliveryCount = entry.deliveries;
    }

    @Override
    public Message message() {
      return entry.message;
    }

    @Override
    public int deliveryCount() {
      return deliveryCount;
    }

    @Override
    protected void doAck() {
      GroupQueue.this.ack(this);
    }

    @Override
    protected void doNack(Duration delay) {
      GroupQueue.this.nack(this, delay, true);
    }

    @Override
    protected void doDefer(Duration delay) {
      GroupQueue.this.nack(this, delay, false);
    }

    @Override
    protected void doRelease() {
      GroupQueue.this.nack(this, Duration.ZERO, false);
    }

    /** Synchronized with the expiry check, which reads startedAt and takes the delivery back. */
    @Override
    public synchronized boolean tryStart() {
      if (isOver() || !super.tryStart()) {
        return false;
      }
      stamp(); // from now on the ack timeout counts a delivery
      return true;
    }

    /** The ack timeout of a started delivery counts from now. */
    @Override
    public synchronized void extendLease() {
      if (isStarted()) {
        stamp();
      }
    }

    private void stamp() {
      long now = System.nanoTime();
      startedAt = now == 0 ? 1 : now;
    }

    @Override
    public String toString() {
      return "Delivery{" + topic + "/" + group + ", " + entry.message.id() + ", #" + deliveryCount + '}';
    }
  }
}
