package dev.courier.internal;

import dev.courier.spi.TransportDelivery;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The per-key lanes of an orderedByKey subscription: while a worker runs a key's delivery, the
 * key's later deliveries wait in its lane, in arrival order, and the same worker runs them next.
 * A lane exists only while its first delivery has a place in the hand-off queue or a worker, else
 * no worker would ever own it and the key would be stuck. Thread-safe.
 */
final class KeyLanes {
  private final Map<String, ArrayDeque<TransportDelivery>> lanes = new HashMap<>(); // guarded by this

  /**
   * Queues {@code d} behind its key's running delivery; if the key has no lane, hands it to
   * {@code firstOfLane} (the queue) and opens the lane if that took it.
   */
  synchronized void dispatch(String key, TransportDelivery d, Predicate<TransportDelivery> firstOfLane) {
    ArrayDeque<TransportDelivery> lane = lanes.get(key);
    if (lane != null) {
      lane.addLast(d);
    } else if (firstOfLane.test(d)) {
      lanes.put(key, new ArrayDeque<>(2));
    }
  }

  /** The key's next delivery, or null, closing the lane, when it is empty or {@code open} is false. */
  synchronized TransportDelivery next(String key, boolean open) {
    ArrayDeque<TransportDelivery> lane = lanes.get(key);
    TransportDelivery next = lane == null || !open ? null : lane.pollFirst();
    if (next == null) {
      lanes.remove(key);
    }
    return next;
  }

  /** Asks every waiting delivery whether the adapter took it back, dropping those it did. */
  synchronized void countOutWithdrawn() {
    lanes.values().forEach(lane -> lane.removeIf(TransportDelivery::isWithdrawn));
  }

  /** Closes the key's lane; hands its waiting deliveries back to the broker. */
  void release(String key) {
    ArrayDeque<TransportDelivery> lane;
    synchronized (this) {
      lane = lanes.remove(key);
    }
    if (lane != null) {
      lane.forEach(TransportDelivery::release);
    }
  }

  /** Closes every lane, moving its waiting deliveries to {@code into}. */
  synchronized void drainTo(Collection<TransportDelivery> into) {
    lanes.values().forEach(into::addAll);
    lanes.clear();
  }
}
