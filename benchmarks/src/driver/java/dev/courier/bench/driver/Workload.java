package dev.courier.bench.driver;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The loops every side of every benchmark runs, through an {@link Endpoint}. Each payload carries
 * its index (bytes 0–3) and its publish time from {@link System#nanoTime()} (bytes 4–11); a side
 * publishes and consumes in one process, so the handler computes publish → handler latency from
 * the payload alone.
 */
public final class Workload {
  private static final long TIMEOUT_SECONDS = 600;

  /**
   * @param payloadBytes size of every message (at least 12)
   * @param window at most this many publishes unconfirmed
   * @param maxBacklog if positive, at most this many published but not yet handled (an in-process
   *     broker confirms at once, so without it the backlog, not the pipeline, would be measured)
   * @param publishOnly whether a round also runs the publish-only phase
   */
  public record Settings(int payloadBytes, int window, int maxBacklog, boolean publishOnly) {
    public Settings {
      if (payloadBytes < 12) {
        throw new IllegalArgumentException("payloadBytes must be at least 12, was " + payloadBytes);
      }
      if (window < 1) {
        throw new IllegalArgumentException("window must be positive, was " + window);
      }
    }
  }

  private Workload() {}

  /**
   * One round: publish-only (if {@code settings.publishOnly()}: {@code messages} published with
   * nobody consuming, timed until the last is confirmed), then end-to-end ({@code messages}
   * published while the group consumes, timed from when the consumer handled a first message until
   * the last is handled and confirmed).
   * Returns {@code publishMsgsPerSec}, {@code msgsPerSec}, {@code p50Micros}, {@code p99Micros}.
   */
  public static Map<String, Double> round(Endpoint endpoint, Settings settings, int messages) throws Exception {
    Map<String, Double> out = new LinkedHashMap<>();
    if (settings.publishOnly()) {
      String destination = endpoint.create(false);
      long start = System.nanoTime();
      Publishing publishing = new Publishing(endpoint, destination, settings);
      for (int i = 0; i < messages; i++) {
        publishing.publish(i);
      }
      publishing.awaitConfirms();
      out.put("publishMsgsPerSec", messages / seconds(start));
      endpoint.discard(destination);
    }
    String destination = endpoint.create(true);
    Receiver receiver = new Receiver(messages);
    double seconds;
    try (AutoCloseable consumer = endpoint.consume(destination, receiver)) {
      Publishing publishing = new Publishing(endpoint, destination, settings);
      receiver.prime(publishing);
      long start = System.nanoTime();
      for (int i = 1; i <= messages; i++) {
        if (settings.maxBacklog() > 0) {
          while (i - receiver.handled.get() > settings.maxBacklog()) {
            Thread.onSpinWait();
          }
        }
        publishing.publish(i);
      }
      receiver.await("end-to-end");
      publishing.awaitConfirms();
      seconds = seconds(start);
    }
    endpoint.discard(destination);
    out.put("msgsPerSec", messages / seconds);
    long[] latency = receiver.sortedLatencies();
    out.put("p50Micros", percentile(latency, 0.50) / 1e3);
    out.put("p99Micros", percentile(latency, 0.99) / 1e3);
    return out;
  }

  /**
   * Latency under moderate load: {@code rate} messages a second for {@code seconds} seconds,
   * published on schedule while the group consumes, each timed from its scheduled send time (so a
   * sender that falls behind counts its delay: no coordinated omission). Returns {@code p50Micros}, {@code p99Micros},
   * {@code p999Micros}, {@code maxMicros} of publish → handler, and {@code messages}.
   */
  public static Map<String, Double> fixedRate(Endpoint endpoint, Settings settings, int rate, int seconds)
      throws Exception {
    return fixedRate(endpoint, settings, rate, Duration.ofSeconds(seconds));
  }

  /** {@link #fixedRate(Endpoint, Settings, int, int)} for a {@code duration} of any length. */
  public static Map<String, Double> fixedRate(Endpoint endpoint, Settings settings, int rate, Duration duration)
      throws Exception {
    long interval = TimeUnit.SECONDS.toNanos(1) / rate;
    int messages = Math.toIntExact(Math.max(1, duration.toNanos() / interval));
    String destination = endpoint.create(true);
    Receiver receiver = new Receiver(messages);
    try (AutoCloseable consumer = endpoint.consume(destination, receiver)) {
      Publishing publishing = new Publishing(endpoint, destination, settings);
      receiver.prime(publishing);
      long start = System.nanoTime();
      for (int i = 1; i <= messages; i++) {
        long scheduled = start + (i - 1) * interval;
        long wait;
        while ((wait = scheduled - System.nanoTime()) > 0) {
          if (wait > 100_000) {
            LockSupport.parkNanos(wait - 50_000);
          } else {
            Thread.onSpinWait();
          }
        }
        // timed from its scheduled send: a sender held up (by the window, a slow publish) adds its delay to
        // the messages it holds up, rather than hiding it (no coordinated omission)
        publishing.publish(i, scheduled);
      }
      receiver.await("fixed-rate");
      publishing.awaitConfirms();
    }
    endpoint.discard(destination);
    long[] latency = receiver.sortedLatencies();
    Map<String, Double> out = new LinkedHashMap<>();
    out.put("p50Micros", percentile(latency, 0.50) / 1e3);
    out.put("p99Micros", percentile(latency, 0.99) / 1e3);
    out.put("p999Micros", percentile(latency, 0.999) / 1e3);
    out.put("maxMicros", latency[latency.length - 1] / 1e3);
    out.put("messages", (double) messages);
    return out;
  }

  /** The nearest-rank percentile of sorted values: the smallest value at or above {@code q} of them. */
  public static long percentile(long[] sorted, double q) {
    int rank = (int) Math.ceil(q * sorted.length);
    return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
  }

  private static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  /** Publishes with at most {@code window} unconfirmed; any failure fails the round. */
  private static final class Publishing {
    private final Endpoint endpoint;
    private final String destination;
    private final Settings settings;
    private final Semaphore window;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Endpoint.Confirm confirm;

    Publishing(Endpoint endpoint, String destination, Settings settings) {
      this.endpoint = endpoint;
      this.destination = destination;
      this.settings = settings;
      this.window = new Semaphore(settings.window());
      this.confirm = e -> {
        if (e != null) {
          failure.compareAndSet(null, e);
        }
        window.release();
      };
    }

    void publish(int index) throws Exception {
      publish(index, 0);
    }

    /** Publishes message {@code index} timed from {@code sentNanos} ({@link System#nanoTime()}), 0 for now. */
    void publish(int index, long sentNanos) throws Exception {
      if (!window.tryAcquire(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        throw new IllegalStateException("no publish confirmed in " + TIMEOUT_SECONDS + " s");
      }
      byte[] payload = new byte[settings.payloadBytes()];
      ByteBuffer.wrap(payload).putInt(0, index).putLong(4, sentNanos != 0 ? sentNanos : System.nanoTime());
      endpoint.publish(destination, index, payload, confirm);
    }

    void awaitConfirms() throws InterruptedException {
      if (!window.tryAcquire(settings.window(), TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        throw new IllegalStateException((settings.window() - window.availablePermits()) + " publishes unconfirmed");
      }
      window.release(settings.window());
      Throwable e = failure.get();
      if (e != null) {
        throw new IllegalStateException("a publish failed: " + e, e);
      }
    }
  }

  /**
   * Records each message's latency by its index (1 to {@code messages}); a redelivered message
   * counts once. Message 0 primes the consumer: the clock starts once it was handled, so no side's
   * figures include its consumer's start (a Kafka group's join, say) and every side is measured alike.
   */
  private static final class Receiver implements java.util.function.Consumer<ByteBuffer> {
    private final long[] latency;
    private final AtomicLong handled = new AtomicLong();
    private final CountDownLatch primed = new CountDownLatch(1);
    private final CountDownLatch done;

    Receiver(int messages) {
      this.latency = new long[messages + 1];
      this.done = new CountDownLatch(messages);
    }

    void prime(Publishing publishing) throws Exception {
      publishing.publish(0);
      if (!primed.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the consumer handled no first message in " + TIMEOUT_SECONDS + " s");
      }
      publishing.awaitConfirms();
    }

    @Override
    public void accept(ByteBuffer payload) {
      int p = payload.position();
      int i = payload.getInt(p);
      long nanos = System.nanoTime() - payload.getLong(p + 4);
      if (latency[i] == 0) {
        latency[i] = Math.max(1, nanos);
        if (i == 0) {
          primed.countDown();
        } else {
          handled.incrementAndGet();
          done.countDown();
        }
      }
    }

    void await(String phase) throws InterruptedException {
      if (!done.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        throw new IllegalStateException(phase + ": " + done.getCount() + " of " + (latency.length - 1) + " not handled in "
            + TIMEOUT_SECONDS + " s");
      }
    }

    long[] sortedLatencies() {
      long[] sorted = Arrays.copyOfRange(latency, 1, latency.length);
      Arrays.sort(sorted);
      return sorted;
    }
  }
}
