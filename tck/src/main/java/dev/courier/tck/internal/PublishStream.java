package dev.courier.tck.internal;

import dev.courier.Message;
import dev.courier.Publisher;
import dev.courier.testsupport.Poll;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * One thread per publisher, each publishing {@code each} messages to a topic with at most
 * {@code window} publishes unconfirmed, and pausing at evenly spaced checkpoints until the rule
 * releases them: the stream a fault rule restarts the broker under. While {@link #throttle throttled}
 * each thread paces its publishes and keeps the rest of its share for after {@link #unthrottle}.
 * Records which publishes were confirmed and how many failed; a publish that throws counts as failed.
 */
public final class PublishStream implements AutoCloseable {
  private final int each;
  private final Duration patience;
  private final Semaphore[] windows;
  private final List<CountDownLatch> reached = new ArrayList<>();
  private final List<CountDownLatch> released = new ArrayList<>();
  private final Set<String> confirmed = ConcurrentHashMap.newKeySet();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong stalled = new AtomicLong();
  private final ExecutorService threads;
  private final int window;
  private final AtomicReference<Throttle> throttle = new AtomicReference<>(); // null: full speed

  /** Each thread's pace, how many it publishes so, and the latch {@link #unthrottle} opens. */
  private record Throttle(long paceNanos, int max, CountDownLatch lifted) {}

  private PublishStream(int threadCount, int each, int window, int checkpoints, Duration patience) {
    this.each = each;
    this.window = window;
    this.patience = patience;
    this.windows = new Semaphore[threadCount];
    for (int c = 0; c < checkpoints; c++) {
      reached.add(new CountDownLatch(threadCount));
      released.add(new CountDownLatch(1));
    }
    this.threads = Executors.newFixedThreadPool(threadCount, r -> {
      Thread t = new Thread(r, "courier-tck-publish-stream");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Starts one thread per publisher. A thread waiting longer than {@code patience} for a window
   * slot or a release stops, and {@link #stalled()} counts it (a throttled one waits for
   * {@link #unthrottle} without limit).
   */
  public static PublishStream start(List<Publisher> publishers, String topic, int each, int window, int checkpoints,
      Duration patience) {
    PublishStream stream = new PublishStream(publishers.size(), each, window, checkpoints, patience);
    for (int t = 0; t < publishers.size(); t++) {
      int thread = t;
      stream.windows[t] = new Semaphore(window);
      stream.threads.execute(() -> stream.run(thread, publishers.get(thread), topic));
    }
    stream.threads.shutdown();
    return stream;
  }

  private void run(int thread, Publisher publisher, String topic) {
    int arrived = 0; // checkpoints reached
    Throttle throttled = null; // the throttle this thread last saw
    int paced = 0; // publishes under it
    try {
      for (int i = 0; i < each; i++) {
        if (arrived < reached.size() && i == (arrived + 1) * each / (reached.size() + 1)) {
          reached.get(arrived++).countDown();
          if (!released.get(arrived - 1).await(patience.toMillis(), TimeUnit.MILLISECONDS)) {
            stalled.incrementAndGet();
            return;
          }
        }
        Throttle t = throttle.get();
        if (t != null) {
          if (t != throttled) {
            throttled = t;
            paced = 0;
          }
          if (paced++ < t.max) {
            LockSupport.parkNanos(t.paceNanos);
          } else {
            t.lifted.await(); // the rule's to lift, and close() lifts it
          }
        }
        Semaphore slots = windows[thread];
        if (!slots.tryAcquire(patience.toMillis(), TimeUnit.MILLISECONDS)) {
          stalled.incrementAndGet();
          return;
        }
        Message m = Message.of(("stream-" + thread + "-" + i).getBytes(StandardCharsets.UTF_8));
        try {
          publisher.publish(topic, m).whenComplete((ok, e) -> {
            if (e == null) {
              confirmed.add(m.id());
            } else {
              failed.incrementAndGet();
            }
            slots.release();
          });
        } catch (RuntimeException e) {
          failed.incrementAndGet();
          slots.release();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      for (int c = arrived; c < reached.size(); c++) {
        reached.get(c).countDown(); // a stopped thread holds no checkpoint back
      }
    }
  }

  /** Whether every thread has reached checkpoint {@code c} (0-based) within {@code timeout}. */
  public boolean awaitCheckpoint(int c, Duration timeout) throws InterruptedException {
    return reached.get(c).await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Lets the threads publish on past checkpoint {@code c}. */
  public void release(int c) {
    released.get(c).countDown();
  }

  /**
   * From now until {@link #unthrottle}, each thread publishes one message per {@code pace}, at most
   * {@code max} of them, then waits: publishes keep racing what the rule does meanwhile (a broker
   * stopping), and each thread keeps the rest of its share for after.
   */
  public void throttle(Duration pace, int max) {
    throttle.set(new Throttle(pace.toNanos(), max, new CountDownLatch(1)));
  }

  /** Back to full speed; threads waiting under the throttle go on. */
  public void unthrottle() {
    Throttle t = throttle.getAndSet(null);
    if (t != null) {
      t.lifted.countDown();
    }
  }

  /** Publishes completed so far, confirmed or failed. */
  public long completed() {
    return confirmed.size() + failed.get();
  }

  /** Whether every thread finished and every publish completed within {@code timeout}. */
  public boolean awaitDone(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    if (!threads.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      return false;
    }
    return Poll.until(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())),
        () -> Arrays.stream(windows).allMatch(w -> w.availablePermits() == window));
  }

  public Set<String> confirmed() {
    return Set.copyOf(confirmed);
  }

  public long failed() {
    return failed.get();
  }

  /** Threads that gave up waiting for a window slot or a release. */
  public long stalled() {
    return stalled.get();
  }

  @Override
  public void close() {
    released.forEach(CountDownLatch::countDown);
    unthrottle();
    threads.shutdownNow();
  }
}
