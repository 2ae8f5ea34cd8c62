package dev.courier.tck.internal;

import dev.courier.Message;
import dev.courier.Publisher;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Threads publishing to one topic without waiting, each until a publish is refused (thrown at
 * once) or it has published {@code maxEach}: the publishes that race {@code Courier.close()}.
 */
public final class PublishRace implements AutoCloseable {
  private final List<CompletableFuture<Void>> futures = new CopyOnWriteArrayList<>();
  private final List<RuntimeException> refusals = new CopyOnWriteArrayList<>();
  private final CountDownLatch started;
  private final ExecutorService threads;

  private PublishRace(int threadCount) {
    this.started = new CountDownLatch(threadCount);
    this.threads = Executors.newFixedThreadPool(threadCount, r -> {
      Thread t = new Thread(r, "courier-tck-publish-race");
      t.setDaemon(true);
      return t;
    });
  }

  public static PublishRace start(Publisher publisher, String topic, int threadCount, int maxEach) {
    PublishRace race = new PublishRace(threadCount);
    for (int t = 0; t < threadCount; t++) {
      String prefix = "race-" + t + "-";
      race.threads.execute(() -> race.run(publisher, topic, prefix, maxEach));
    }
    race.threads.shutdown();
    return race;
  }

  private void run(Publisher publisher, String topic, String prefix, int maxEach) {
    try {
      for (int i = 0; i < maxEach; i++) {
        futures.add(publisher.publish(topic, Message.of((prefix + i).getBytes(StandardCharsets.UTF_8))));
        started.countDown();
      }
    } catch (RuntimeException e) {
      refusals.add(e);
    } finally {
      started.countDown();
    }
  }

  /** Whether every thread has published (or been refused) at least once within {@code timeout}. */
  public boolean awaitStarted(Duration timeout) throws InterruptedException {
    return started.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Whether every thread stopped publishing within {@code timeout}. */
  public boolean awaitStopped(Duration timeout) throws InterruptedException {
    return threads.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The futures of the publishes that were accepted. */
  public List<CompletableFuture<Void>> futures() {
    return new ArrayList<>(futures);
  }

  /** What the refused publishes threw, at most one per thread. */
  public List<RuntimeException> refusals() {
    return new ArrayList<>(refusals);
  }

  @Override
  public void close() {
    threads.shutdownNow();
  }
}
