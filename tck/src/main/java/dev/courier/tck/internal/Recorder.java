package dev.courier.tck.internal;

import dev.courier.Delivery;
import dev.courier.MessageHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Records what handlers saw: every delivery that started, and every one whose handler returned.
 * Thread-safe; {@link #handler} builds handlers that feed it, and the await methods wait with a
 * deadline, returning as soon as the condition holds.
 */
public final class Recorder {
  /** What a handler does between being called and returning; may throw to fail the delivery. */
  @FunctionalInterface
  public interface Action {
    void run(Delivery delivery) throws Exception;
  }

  /** One handler call: the delivery, when it started (nanoTime) and the handler's thread. */
  public record Call(Delivery delivery, long startedNanos, String thread) {
    public String id() {
      return delivery.message().id();
    }
  }

  private final List<Call> started = new ArrayList<>();
  private final List<Call> completed = new ArrayList<>();
  private final List<Call> failed = new ArrayList<>();

  /** A handler that records the call, then returns. */
  public MessageHandler handler() {
    return handler(d -> {});
  }

  /** A handler that records the call, runs {@code action}, and records how it ended. */
  public MessageHandler handler(Action action) {
    return delivery -> {
      Call call = new Call(delivery, System.nanoTime(), Thread.currentThread().getName());
      add(started, call);
      try {
        action.run(delivery);
      } catch (Exception | Error e) {
        add(failed, call);
        throw e;
      }
      add(completed, call);
    };
  }

  private void add(List<Call> list, Call call) {
    synchronized (this) {
      list.add(call);
      notifyAll();
    }
  }

  public synchronized List<Call> started() {
    return List.copyOf(started);
  }

  public synchronized List<Call> completed() {
    return List.copyOf(completed);
  }

  public synchronized List<Call> failed() {
    return List.copyOf(failed);
  }

  /** Ids of the messages whose handler returned, in completion order, each once. */
  public synchronized Set<String> completedIds() {
    Set<String> ids = new LinkedHashSet<>();
    completed.forEach(c -> ids.add(c.id()));
    return ids;
  }

  /** How many times each message's handler returned. */
  public synchronized Map<String, Integer> completionsById() {
    Map<String, Integer> counts = new HashMap<>();
    completed.forEach(c -> counts.merge(c.id(), 1, Integer::sum));
    return counts;
  }

  /** Waits until at least {@code n} distinct messages completed; true if they did in time. */
  public boolean awaitCompletedIds(int n, Duration timeout) {
    return await(r -> r.completedIdsCount() >= n, timeout);
  }

  /** Waits until every id in {@code ids} completed. */
  public boolean awaitCompleted(Set<String> ids, Duration timeout) {
    return await(r -> r.completedIds().containsAll(ids), timeout);
  }

  /** Waits until at least {@code n} handler calls started. */
  public boolean awaitStarted(int n, Duration timeout) {
    return await(r -> r.startedCount() >= n, timeout);
  }

  /** Waits until {@code condition} holds for this recorder, re-checking on every record. */
  public synchronized boolean await(Predicate<Recorder> condition, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.test(this)) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      try {
        // Bounded waits so conditions that do not depend on new records are re-checked too.
        TimeUnit.NANOSECONDS.timedWait(this, Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }

  private synchronized int completedIdsCount() {
    return completedIds().size();
  }

  private synchronized int startedCount() {
    return started.size();
  }
}
