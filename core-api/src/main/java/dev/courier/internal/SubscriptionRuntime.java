package dev.courier.internal;

import dev.courier.Subscription;
import dev.courier.SubscriptionOptions;
import dev.courier.spi.DeliverySink;
import dev.courier.spi.Receiver;
import dev.courier.spi.TransportDelivery;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dispatches an adapter's deliveries to {@code concurrency} handler threads. The adapter keeps at
 * most maxInFlight deliveries unsettled, so the hand-off queue is bounded by it. With
 * orderedByKey, deliveries with the same key go through a lane: one at a time, in arrival order.
 */
public final class SubscriptionRuntime implements Subscription, DeliverySink {
  private static final Logger log = LoggerFactory.getLogger(SubscriptionRuntime.class);
  private static final int OPEN = 0;
  private static final int CLOSING = 1;
  private static final int CLOSED = 2;

  private final SubscriptionOptions options;
  private final DeliveryProcessor processor;
  private final HandlerWatchdog watchdog;
  private final Consumer<SubscriptionRuntime> onClosed;
  private final ArrayBlockingQueue<TransportDelivery> queue;
  private final Map<String, ArrayDeque<TransportDelivery>> lanes;
  private final Thread[] workers;
  private final HandlerWatchdog.Call[] calls;
  private final Object monitor = new Object();
  private volatile int state = OPEN;
  private int running; // guarded by monitor
  private Receiver receiver;

  public SubscriptionRuntime(SubscriptionOptions options, DeliveryProcessor processor,
      HandlerWatchdog watchdog, Consumer<SubscriptionRuntime> onClosed) {
    this.options = options;
    this.processor = processor;
    this.watchdog = watchdog;
    this.onClosed = onClosed;
    // Twice maxInFlight: after a connection loss the broker takes back what was unsettled and may
    // hand out maxInFlight new deliveries while stale ones (whose settlement is now a no-op) still
    // wait here. Beyond that, the adapter broke its promise and the surplus goes back.
    this.queue = new ArrayBlockingQueue<>(options.maxInFlight() * 2);
    this.lanes = options.orderedByKey() ? new HashMap<>() : null;
    this.workers = new Thread[options.concurrency()];
    this.calls = new HandlerWatchdog.Call[workers.length];
    for (int i = 0; i < workers.length; i++) {
      int slot = i;
      Thread t = new Thread(() -> work(slot), "courier-" + options.topic() + "-" + options.group() + "-" + i);
      t.setDaemon(true);
      workers[i] = t;
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
    for (Thread t : workers) {
      t.start();
    }
  }

  @Override
  public void accept(TransportDelivery delivery) {
    if (state != OPEN) {
      return; // left unsettled: Receiver.close() returns it to the broker
    }
    if (lanes != null) {
      Optional<String> key = delivery.message().key();
      if (key.isPresent()) {
        synchronized (lanes) {
          ArrayDeque<TransportDelivery> lane = lanes.get(key.get());
          if (lane != null) {
            lane.addLast(delivery);
            return;
          }
          // The lane exists only if its first delivery got a place in the queue, else no worker
          // would ever own it and the key would be stuck.
          if (offer(delivery)) {
            lanes.put(key.get(), new ArrayDeque<>(2));
          }
        }
        return;
      }
    }
    offer(delivery);
  }

  private boolean offer(TransportDelivery delivery) {
    if (queue.offer(delivery)) {
      return true;
    }
    // Deliveries the adapter took back (ack timeout, lost connection) may still wait here.
    queue.removeIf(TransportDelivery::isWithdrawn);
    if (queue.offer(delivery)) {
      return true;
    }
    // The adapter broke its maxInFlight promise; returning the delivery loses nothing.
    log.error("adapter exceeded maxInFlight={} on {}/{}; returning delivery of message {} to the broker",
        options.maxInFlight(), options.topic(), options.group(), delivery.message().id());
    delivery.release();
    return false;
  }

  private void work(int slot) {
    HandlerWatchdog.Call call = watchdog.register(Thread.currentThread());
    synchronized (monitor) {
      calls[slot] = call;
      if (state != OPEN) {
        call.stop();
      }
    }
    try {
      while (state == OPEN) {
        TransportDelivery d;
        try {
          d = queue.take();
        } catch (InterruptedException e) {
          if (state != OPEN) {
            return;
          }
          continue;
        }
        run(d, call);
        if (lanes != null) {
          runLane(d, call);
        }
      }
    } finally {
      watchdog.unregister(call);
    }
  }

  private void runLane(TransportDelivery first, HandlerWatchdog.Call call) {
    Optional<String> key = first.message().key();
    if (key.isEmpty()) {
      return;
    }
    while (true) {
      TransportDelivery next;
      synchronized (lanes) {
        ArrayDeque<TransportDelivery> lane = lanes.get(key.get());
        next = lane == null || state != OPEN ? null : lane.pollFirst();
        if (next == null) {
          lanes.remove(key.get());
          return;
        }
      }
      run(next, call);
    }
  }

  private void run(TransportDelivery d, HandlerWatchdog.Call call) {
    if (!d.tryStart()) {
      return; // withdrawn: the broker delivers it again, to whoever owns it now
    }
    synchronized (monitor) {
      if (state != OPEN) {
        return;
      }
      running++;
    }
    try {
      processor.process(d, call);
    } catch (RuntimeException | Error e) {
      log.error("reliability layer failed on message {} of {}/{}; it stays unsettled and returns to the broker",
          d.message().id(), options.topic(), options.group(), e);
    } finally {
      synchronized (monitor) {
        running--;
        monitor.notifyAll();
      }
    }
  }

  private boolean isWorker(Thread t) {
    for (Thread w : workers) {
      if (w == t) {
        return true;
      }
    }
    return false;
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
    boolean fromHandler = isWorker(Thread.currentThread());
    synchronized (monitor) {
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
        synchronized (lanes) {
          lanes.values().forEach(notStarted::addAll);
          lanes.clear();
        }
      }
      for (TransportDelivery d : notStarted) {
        d.release();
      }
      long deadline = System.nanoTime() + options.drainTimeout().toNanos();
      int self = fromHandler ? 1 : 0;
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
      }
      for (Thread t : workers) {
        if (t != Thread.currentThread()) {
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
