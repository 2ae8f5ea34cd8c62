package dev.courier.bench;

import dev.courier.Courier;
import dev.courier.Message;
import dev.courier.Publisher;
import dev.courier.SubscriptionOptions;
import dev.courier.inmemory.InMemoryTransport;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * End-to-end benchmark: publish → handle → ack through Courier, measuring throughput and the
 * latency from publish to handler. A plain harness rather than JMH: the quantity is a pipeline's
 * throughput over millions of messages, not a method's time; warm-up runs first.
 */
public final class Bench {
  private static final int PAYLOAD_BYTES = 64;

  private Bench() {}

  public static void main(String[] args) throws Exception {
    String adapter = args[0];
    Path out = Path.of(args[1]);
    int messages = args.length > 2 ? Integer.parseInt(args[2]) : 2_000_000;
    if (!adapter.equals("inmemory")) {
      throw new IllegalArgumentException("no benchmark for adapter " + adapter);
    }
    run(1, 200_000); // warm-up
    run(4, 200_000);
    Result one = run(1, messages);
    Result four = run(4, messages);
    System.out.printf(Locale.ROOT, "inmemory, 1 subscriber : %,.0f msgs/s, p50 %d µs, p99 %d µs%n", one.rate, one.p50, one.p99);
    System.out.printf(Locale.ROOT, "inmemory, 4 subscribers: %,.0f msgs/s, p50 %d µs, p99 %d µs%n", four.rate, four.p50, four.p99);
    String json = String.format(Locale.ROOT,
        "{\"adapter\":\"inmemory\",\"messages\":%d,\"msgsPerSec\":%.0f,\"p50Micros\":%d,\"p99Micros\":%d,"
            + "\"payloadBytes\":%d,\"fourSubscribers\":{\"msgsPerSec\":%.0f,\"p50Micros\":%d,\"p99Micros\":%d}}%n",
        messages, one.rate, one.p50, one.p99, PAYLOAD_BYTES, four.rate, four.p50, four.p99);
    Files.createDirectories(out.getParent());
    Files.writeString(out, json, StandardCharsets.UTF_8);
    System.out.println("wrote " + out);
  }

  record Result(double rate, long p50, long p99) {}

  /** One group on one topic with {@code subscribers} competing subscriptions of concurrency 1. */
  static Result run(int subscribers, int messages) throws InterruptedException, IOException {
    return run(subscribers, messages, courier -> {});
  }

  /** As {@link #run(int, int)}, {@code setup} binding what it measures (metrics, tracing) first. */
  static Result run(int subscribers, int messages, Consumer<Courier> setup) throws InterruptedException, IOException {
    long[] sentAt = new long[messages];
    long[] latency = new long[messages];
    AtomicLong handled = new AtomicLong();
    CountDownLatch done = new CountDownLatch(1);
    try (Courier courier = Courier.builder()
        .transport(InMemoryTransport.builder().maxGroupBacklog(messages + 1).build()).build()) {
      setup.accept(courier);
      courier.admin().ensureGroup("bench", "g");
      for (int s = 0; s < subscribers; s++) {
        courier.subscribe(SubscriptionOptions.builder("bench", "g").maxInFlight(1024).build(), d -> {
          int i = (int) d.message().payloadBuffer().getLong(0);
          latency[i] = System.nanoTime() - sentAt[i];
          if (handled.incrementAndGet() == messages) {
            done.countDown();
          }
        });
      }
      Publisher publisher = courier.publisher();
      byte[] payload = new byte[PAYLOAD_BYTES];
      long start = System.nanoTime();
      for (int i = 0; i < messages; i++) {
        ByteBuffer.wrap(payload).putLong(0, i);
        sentAt[i] = System.nanoTime();
        publisher.publish("bench", Message.builder().id("m" + i).payload(payload).build());
        // Keep at most 4096 messages queued, so latency measures the pipeline, not a backlog.
        while (i - handled.get() > 4_096) {
          Thread.onSpinWait();
        }
      }
      if (!done.await(120, TimeUnit.SECONDS)) {
        throw new IllegalStateException("only " + handled.get() + " of " + messages + " handled");
      }
      long elapsed = System.nanoTime() - start;
      Arrays.sort(latency);
      return new Result(messages / (elapsed / 1e9),
          latency[messages / 2] / 1000, latency[(int) (messages * 0.99)] / 1000);
    }
  }
}
