package dev.courier.internal;

import dev.courier.CourierListener;
import dev.courier.InFlight;
import dev.courier.Subscription;
import dev.courier.SubscriptionOptions;
import dev.courier.spi.DeliverySink;
import dev.courier.spi.Receiver;
import dev.courier.spi.TransportDelivery;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dispatches an adapter's deliveries to {@code concurrency} handler threads. The adapter keeps at
 * most maxInFlight deliveries unsettled, so the hand-off queue is bounded by it. With
 * orderedByKey, deliveries with the same key go through a lane: one at a time, in arrival order.
 *
 * <p>A handler still running a grace period (its handlerTimeout, within [{@link #MIN_GRACE},
 * {@link #MAX_GRACE}]) after the timeout's interrupt ignored it: its thread is abandoned (it may
 * hang for good). Its delivery is settled as a timeout failure on a new thread, which then takes
 * the slot over, lane included, so the subscription keeps its concurrency. At most
 * {@code concurrency} abandoned threads may be alive; beyond that a stuck slot stays empty until
 * one of them returns. An abandoned thread's late result is ignored, and it exits.
 *
 * <p>Where the adapter lends deliveries for a lease, a started delivery's lease is renewed (by the
 * Courier's {@link LeaseRenewer}) until it is settled, and never beyond a handler call's timeout
 * plus grace: a stuck handler's message is settled in its place then anyway.
 */
public final class SubscriptionRuntime implements Subscription, DeliverySink {
  private static final Logger log = LoggerFactory.getLogger(SubscriptionRuntime.class);
  private static final int OPEN = 0;
  private static final int CLOSING = 1;
  private static final int CLOSED = 2;
  static final Duration MIN_GRACE = Duration.ofSeconds(1);
  static final Duration MAX_GRACE = Duration.ofSeconds(10);

  private final SubscriptionOptions options;
  private final DeliveryProcessor processor;
  private final HandlerWatchdog watchdog;
  private final LeaseRenewer leases;
  private final Consumer<SubscriptionRuntime> onClosed;
  private final HandlerThreads threads;
  private final ArrayBlockingQueue<TransportDelivery> queue;
  private final InFlightCounter inFlight;
  private final KeyLanes lanes; // null unless orderedByKey
  private final long graceNanos;
  private final long leaseLimitNanos; // a handler call running longer is abandoned: stop renewing
  private final Object monitor = new Object();
  private final Thread[] workers; // guarded by monitor: a slot's thread is replaced when abandoned
  private final HandlerWatchdog.Call[] calls; // guarded by monitor
  /** Per slot, the delivery its worker runs; published to the watchdog by the call's start. */
  private final TransportDelivery[] handling;
  private final Set<Thread> abandoned = new HashSet<>(); // guarded by monitor: not yet returned
  private final Set<Thread> settling = new HashSet<>(); // guarded by monitor: settling for an abandoned one
  private final ArrayDeque<Integer> emptySlots = new ArrayDeque<>(); // guarded by monitor
  private int replacements; // guarded by monitor
  private volatile int state = OPEN;
  private int running; // guarded by monitor: deliveries started and not yet settled by a live thread
  private Receiver receiver;

  public SubscriptionRuntime(SubscriptionOptions options, DeliveryProcessor processor, HandlerWatchdog watchdog,
      LeaseRenewer leases, ThreadFactory threads, Consumer<SubscriptionRuntime> onClosed) {
    this.options = options;
    this.threads = new HandlerThreads(threads, options.topic(), options.group());
    this.processor = processor;
    this.watchdog = watchdog;
    this.leases = leases;
    this.onClosed = onClosed;
    // Twice maxInFlight: after a connection loss the broker takes back what was unsettled and may
    // hand out maxInFlight new deliveries while stale ones (whose settlement is now a no-op) still
    // wait here. Beyond that, the adapter broke its promise and the surplus goes back.
    this.queue = new ArrayBlockingQueue<>(options.maxInFlight() * 2);
    this.inFlight = new InFlightCounter(options.maxInFlight());
    this.lanes = options.orderedByKey() ? new KeyLanes() : null;
    long timeout = options.handlerTimeout().toNanos();
    this.graceNanos = Math.min(MAX_GRACE.toNanos(), Math.max(MIN_GRACE.toNanos(), timeout));
    this.leaseLimitNanos = timeout + graceNanos;
    this.workers = new Thread[options.concurrency()];
    this.calls = new HandlerWatchdog.Call[workers.length];
    this.handling = new TransportDelivery[workers.length];
    for (int i = 0; i < workers.length; i++) {
      int slot = i;
      workers[i] = this.threads.newThread(() -> work(slot, null), Integer.toString(i));
    }
  }

  /** The adapter's receiver feeding this runtime; set once, right after receive() returns. */
  public void attach(Receiver receiver) {
    synchronized (monitor) {
      if (state == OPEN) {
        this.receiver = receiver;
        return;
      }
    }
    receiver.close(); // closed while subscribing
  }

  /** Starts the handler threads, before the receiver is created. */
  public void startWorkers() {
    List<Thread> threads;
    synchronized (monitor) {
      threads = List.of(workers);
    }
    for (Thread t : threads) {
      t.start();
    }
  }

  @Override
  public void accept(TransportDelivery raw) {
    if (state != OPEN) {
      return; // left unsettled: Receiver.close() returns it to the broker
    }
    TransportDelivery delivery = inFlight.track(raw);
    int unsettled = inFlight.now();
    if (unsettled > options.maxInFlight()) {
      countOutWithdrawn();
      unsettled = inFlight.now();
    }
    inFlight.observe(unsettled);
    Optional<String> key = lanes == null ? Optional.empty() : delivery.message().key();
    if (key.isPresent()) {
      lanes.dispatch(key.get(), delivery, this::offer);
    } else {
      offer(delivery);
    }
  }

  /** Asks every unsettled delivery the core holds whether the adapter took it back. */
  private void countOutWithdrawn() {
    queue.forEach(TransportDelivery::isWithdrawn); // asking counts them out; a worker skips them
    // (removing one could strand its key's lane, whose first delivery waits in the queue)
    if (lanes != null) {
      lanes.countOutWithdrawn();
    }
    for (TransportDelivery d : handling) {
      if (d != null) {
        d.isWithdrawn();
      }
    }
  }

  @Override
  public InFlight inFlight() {
    return inFlight.snapshot();
  }

  private boolean offer(TransportDelivery delivery) {
    if (queue.offer(delivery)) {
      return true;
    }
    // Deliveries the adapter took back (ack timeout, lost connection) may still wait here; a
    // keyed one is its lane's first delivery, which a worker must take to drain the lane.
    queue.removeIf(d -> d.isWithdrawn() && (lanes == null || d.message().key().isEmpty()));
    if (queue.offer(delivery)) {
      return true;
    }
    // The adapter broke its maxInFlight promise; returning the delivery loses nothing.
    log.error("adapter exceeded maxInFlight={} on {}/{}; returning delivery of message {} to the broker",
        options.maxInFlight(), options.topic(), options.group(), delivery.message().id());
    delivery.release();
    return false;
  }

  /** A worker's loop; a replacement first finishes the lane of {@code laneOf} (or null). */
  private void work(int slot, TransportDelivery laneOf) {
    HandlerWatchdog.Call call = watchdog.register(Thread.currentThread(), graceNanos,
        (c, settle, runningNanos) -> stuck(slot, c, settle, runningNanos));
    // Renewed from each start until process() returns, when it is settled (or, when the reliability
    // layer failed, left to return to the broker); a stuck call's lease lapses at its abandonment.
    // Not renewed while a call runs past the limit, but again if it returns before it is abandoned.
    LeaseRenewer.Slot lease = leases.slot(() -> call.isAbandoned() || call.runningNanos() > leaseLimitNanos);
    synchronized (monitor) {
      calls[slot] = call;
      if (state != OPEN) {
        call.stop();
      }
    }
    try {
      if (laneOf != null) {
        runLane(laneOf, slot, call, lease);
      }
      while (state == OPEN && !call.isAbandoned()) {
        TransportDelivery d;
        try {
          d = HandlerThreads.next(queue);
        } catch (InterruptedException e) {
          if (state != OPEN) {
            return;
          }
          continue;
        }
        run(d, slot, call, lease);
        if (lanes != null && !call.isAbandoned()) {
          runLane(d, slot, call, lease);
        }
      }
    } finally {
      lease.close();
      watchdog.unregister(call);
      if (call.isAbandoned()) {
        returned(call);
      }
    }
  }

  private void runLane(TransportDelivery first, int slot, HandlerWatchdog.Call call, LeaseRenewer.Slot lease) {
    Optional<String> key = first.message().key();
    if (key.isEmpty()) {
      return;
    }
    for (TransportDelivery next; (next = lanes.next(key.get(), state == OPEN)) != null; ) {
      run(next, slot, call, lease);
      if (call.isAbandoned()) {
        return; // the lane is its replacement's now
      }
    }
  }

  private void run(TransportDelivery d, int slot, HandlerWatchdog.Call call, LeaseRenewer.Slot lease) {
    if (!d.tryStart()) {
      return; // withdrawn: the broker delivers it again, to whoever owns it now
    }
    boolean open;
    synchronized (monitor) {
      open = state == OPEN;
      if (open) {
        running++;
      }
    }
    if (!open) {
      d.release(); // started, so the adapter may be waiting for it: hand it back now
      processor.released(d, CourierListener.Release.CLOSING, true);
      return;
    }
    handling[slot] = d;
    lease.start(d);
    try {
      processor.process(d, call);
    } catch (RuntimeException | Error e) {
      log.error("reliability layer failed on message {} of {}/{}; it stays unsettled and returns to the broker",
          d.message().id(), options.topic(), options.group(), e);
      processor.released(d, CourierListener.Release.FAILED, false);
    } finally {
      lease.stop();
      synchronized (monitor) {
        if (!call.isAbandoned()) { // else stuck() handed this delivery's count to its settler
          running--;
          monitor.notifyAll();
        }
      }
    }
  }

  /**
   * The watchdog's report that slot's handler ignored its timeout for the grace period. The
   * stuck thread cannot return from its call before this ends. Lock order: the call's lock, then
   * monitor; so nothing holding monitor may call a synchronized method of a Call.
   */
  private void stuck(int slot, HandlerWatchdog.Call call, Runnable settle, long runningNanos) {
    TransportDelivery d = handling[slot];
    synchronized (monitor) {
      abandoned.add(call.worker());
      boolean replace = state == OPEN && abandoned.size() <= workers.length;
      String then = replace ? "starting a replacement thread"
          : state != OPEN ? "the subscription is closing"
          : "NOT replacing it: " + abandoned.size() + " abandoned handler threads are stuck (at most concurrency = "
              + workers.length + " are replaced), so this slot handles nothing until one of them returns";
      log.error("handler of {}/{} has run {} ms on message {}, ignoring the interrupt of its handlerTimeout of {}: "
          + "abandoning its thread {} (it exits when the handler returns; its result is ignored) and settling the "
          + "message as a failed attempt (redelivered or dead-lettered per the retry policy); {}", options.topic(),
          options.group(), TimeUnit.NANOSECONDS.toMillis(runningNanos), d.message().id(), options.handlerTimeout(),
          call.worker().getName(), then);
      if (!replace && state == OPEN) {
        emptySlots.add(slot);
      }
      // The new thread holds the delivery's running count until it has settled it, so close()
      // drains the settlement like any handler.
      Thread t = threads.newThread(() -> takeOver(slot, d, settle, replace),
          slot + (replace ? "-r" : "-settle") + ++replacements);
      settling.add(t);
      if (replace) {
        workers[slot] = t;
      }
      t.start();
    }
  }

  private void takeOver(int slot, TransportDelivery d, Runnable settle, boolean replace) {
    try {
      // Once closed, the receiver has returned the message to the broker: settling it now (say,
      // dead-lettering a copy) would leave it in two places.
      if (settle != null && state != CLOSED && !d.isWithdrawn()) {
        // The handler's lease ended with its call; the settlement (a dead-letter publish, say)
        // may take a while: keep the message leased until it is settled.
        LeaseRenewer.Lease lease = leases.start(d, () -> false);
        try {
          settle.run();
        } finally {
          lease.stop();
        }
      } else if (settle instanceof DeliveryProcessor.Abandonment a) {
        a.unsettled();
      }
    } catch (RuntimeException | Error e) {
      log.error("reliability layer failed on abandoned message {} of {}/{}; it stays unsettled and returns to the broker",
          d.message().id(), options.topic(), options.group(), e);
      processor.released(d, CourierListener.Release.FAILED, false);
    } finally {
      synchronized (monitor) {
        settling.remove(Thread.currentThread());
        running--;
        monitor.notifyAll();
      }
    }
    if (replace) {
      work(slot, lanes != null ? d : null);
    } else {
      releaseLane(d); // no thread will run it
    }
  }

  private void releaseLane(TransportDelivery d) {
    Optional<String> key = d.message().key();
    if (lanes != null && key.isPresent()) {
      lanes.release(key.get());
    }
  }


  /** An abandoned thread's handler returned at last: the thread exits, and an empty slot gets a new one. */
  private void returned(HandlerWatchdog.Call call) {
    synchronized (monitor) {
      abandoned.remove(call.worker());
      Integer slot = state == OPEN ? emptySlots.poll() : null;
      if (slot != null) {
        Thread t = threads.newThread(() -> work(slot, null), slot + "-r" + ++replacements);
        workers[slot] = t;
        t.start();
      }
    }
    log.warn("the abandoned handler thread {} of {}/{} returned; its result was ignored",
        call.worker().getName(), options.topic(), options.group());
  }

  /** How many started deliveries the thread holds: 1 for a worker or a settler, else 0. */
  private int heldBy(Thread t) {
    if (settling.contains(t)) {
      return 1;
    }
    if (abandoned.contains(t)) {
      return 0; // its delivery went to a settler
    }
    for (Thread w : workers) {
      if (w == t) {
        return 1;
      }
    }
    return 0;
  }

  @Override
  public String topic() {
    return options.topic();
  }

  @Override
  public String group() {
    return options.group();
  }

  @Override
  public boolean isOpen() {
    return state == OPEN;
  }

  @Override
  public void close() {
    Thread current = Thread.currentThread();
    int self;
    boolean fromHandler;
    synchronized (monitor) {
      self = heldBy(current);
      fromHandler = self > 0 || abandoned.contains(current);
      if (state != OPEN) {
        // A handler closing its own subscription must not wait for itself.
        while (state != CLOSED && !fromHandler) {
          try {
            monitor.wait();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
        }
        return;
      }
      state = CLOSING;
    }
    Receiver receiver;
    synchronized (monitor) {
      receiver = this.receiver;
    }
    try {
      if (receiver != null) {
        receiver.stopFetching();
      }
      // Deliveries not started go back now, so competing consumers can have them during the drain.
      List<TransportDelivery> notStarted = new ArrayList<>();
      queue.drainTo(notStarted);
      if (lanes != null) {
        lanes.drainTo(notStarted);
      }
      for (TransportDelivery d : notStarted) {
        d.release();
      }
      long deadline = System.nanoTime() + options.drainTimeout().toNanos();
      List<Thread> toInterrupt = new ArrayList<>();
      synchronized (monitor) {
        while (running > self) {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            break;
          }
          try {
            TimeUnit.NANOSECONDS.timedWait(monitor, left);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            break;
          }
        }
        if (running > self) {
          log.warn("{} handler(s) of {}/{} still running after the drain timeout of {}; their messages return to the broker",
              running - self, options.topic(), options.group(), options.drainTimeout());
        }
        // Interrupted handlers fail; the flag tells the reliability layer that this failure is
        // the close, not the message: hand it back instead of retrying or dead-lettering.
        for (HandlerWatchdog.Call c : calls) {
          if (c != null) {
            c.stop();
          }
        }
        emptySlots.clear();
        toInterrupt.addAll(List.of(workers));
        toInterrupt.addAll(abandoned); // once more: they may still be stuck in a handler
      }
      for (Thread t : toInterrupt) {
        if (t != current) {
          t.interrupt();
        }
      }
      if (receiver != null) {
        receiver.close();
      }
    } finally {
      synchronized (monitor) {
        state = CLOSED;
        monitor.notifyAll();
      }
      onClosed.accept(this);
    }
  }

  @Override
  public String toString() {
    return "Subscription{" + options.topic() + "/" + options.group() + ", state="
        + (state == OPEN ? "open" : state == CLOSING ? "closing" : "closed") + '}';
  }
}
