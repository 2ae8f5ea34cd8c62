package dev.courier.inmemory.reliability;

import java.time.Duration;
import dev.courier.testsupport.Poll;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.courier.Courier;
import dev.courier.Idempotency;
import dev.courier.Message;
import dev.courier.RetryPolicy;
import dev.courier.Subscription;
import dev.courier.idempotency.IdempotencyStore;
import dev.courier.idempotency.IdempotencyStoreException;
import dev.courier.idempotency.InMemoryIdempotencyStore;
import dev.courier.inmemory.InMemoryTransport;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Idempotent consumption on the in-memory adapter")
class IdempotencyEndToEndTest extends ReliabilityFixture {
  private static Message copy(String id, int n) {
    return Message.builder().id(id).header("copy", Integer.toString(n))
        .payload(id.getBytes(StandardCharsets.UTF_8)).build();
  }

  @Test
  @DisplayName("hands each message id to the handler once, even with duplicates delivered concurrently")
  void concurrentDuplicates() throws Exception {
    Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    AtomicInteger running = new AtomicInteger();
    AtomicInteger maxRunningSameId = new AtomicInteger();
    Map<String, AtomicInteger> inHandler = new ConcurrentHashMap<>();
    IdempotencyStore store = InMemoryIdempotencyStore.create();
    try (Subscription s = courier.subscribe(options(fastRetry().build()).concurrency(8)
        .idempotency(Idempotency.using(store)).build(), d -> {
      String id = d.message().id();
      int same = inHandler.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
      maxRunningSameId.accumulateAndGet(same, Math::max);
      running.incrementAndGet();
      calls.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
      Thread.sleep(20); // long enough for duplicates to arrive while the first copy is handled
      inHandler.get(id).decrementAndGet();
    })) {
      List<CompletableFuture<Void>> sent = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        for (int n = 0; n < 3; n++) {
          sent.add(courier.publisher().publish(topic, copy("order-" + i, n)));
        }
      }
      CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
      await(() -> transport.backlog(topic, group).getAsLong() == 0, "all 60 copies are settled");
    }
    assertEquals(20, calls.size());
    calls.forEach((id, n) -> assertEquals(1, n.get(), id + " reached the handler " + n + " times"));
    assertEquals(1, maxRunningSameId.get(), "two copies of one id ran at the same time");
    assertEquals(40, events.count("duplicateSkipped"), events.events.toString());
  }

  @Test
  @DisplayName("a duplicate that waits for another consumer's claim is deferred without counting deliveries")
  void waitingDuplicateIsNotCounted() throws Exception {
    java.util.concurrent.CountDownLatch firstStarted = new java.util.concurrent.CountDownLatch(1);
    try (Subscription s = courier.subscribe(options(fastRetry().maxDeliveries(3).build()).concurrency(2)
        .idempotency(Idempotency.using(InMemoryIdempotencyStore.create())).build(), d -> {
      if (d.message().headers().get("copy").orElseThrow().equals("0")) {
        firstStarted.countDown();
        // Hold the claim while the duplicate is turned away more often than maxDeliveries allows.
        Poll.until(Duration.ofSeconds(10), () -> events.count("redelivered") >= 4);
      }
    })) {
      publish(copy("order-1", 0));
      assertEquals(true, firstStarted.await(10, TimeUnit.SECONDS));
      publish(copy("order-1", 1));
      await(() -> events.count("duplicateSkipped") == 1, "the duplicate is skipped once the first copy is done");
    }
    List<String> turnedAway = events.events.stream().filter(e -> e.startsWith("redelivered:")).toList();
    assertEquals(true, turnedAway.size() >= 4, events.events.toString());
    turnedAway.forEach(e -> assertEquals("redelivered:1:CourierException", e, "waiting counted as an attempt: " + events.events));
    assertEquals(List.of("duplicateSkipped:1"), events.events.stream().filter(e -> e.startsWith("duplicateSkipped")).toList());
    assertEquals(0, events.count("deadLettered"));
  }

  @Test
  @DisplayName("lets a redelivery through after the handler failed: a failed attempt never marks the key done")
  void failureReleases() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    try (Subscription s = courier.subscribe(options(fastRetry().maxInProcessAttempts(1).maxDeliveries(3).build())
        .idempotency(Idempotency.using(InMemoryIdempotencyStore.create())).build(), d -> {
      if (calls.incrementAndGet() == 1) {
        throw new IllegalStateException("first delivery fails");
      }
    })) {
      publish(copy("order-1", 0));
      await(() -> events.count("acked") == 1, "the redelivery is handled");
      publish(copy("order-1", 1));
      await(() -> events.count("duplicateSkipped") == 1, "a later duplicate is skipped");
    }
    assertEquals(2, calls.get());
  }

  @Test
  @DisplayName("shares one store between two Courier instances on one broker, so a group handles each id once")
  void twoConsumersOneStore() throws Exception {
    String broker = "idem-" + System.nanoTime();
    IdempotencyStore store = InMemoryIdempotencyStore.create();
    Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    List<Courier> couriers = List.of(
        Courier.builder().transport(InMemoryTransport.builder().brokerName(broker).build()).build(),
        Courier.builder().transport(InMemoryTransport.builder().brokerName(broker).build()).build());
    List<Subscription> subs = new ArrayList<>();
    try {
      couriers.get(0).admin().ensureGroup(topic, group);
      for (Courier c : couriers) {
        subs.add(c.subscribe(options(fastRetry().maxDeliveries(1000).build()).concurrency(4)
            .idempotency(Idempotency.using(store).withKey(m -> new String(m.payload(), StandardCharsets.UTF_8)))
            .build(), d -> {
              calls.computeIfAbsent(new String(d.message().payload(), StandardCharsets.UTF_8),
                  k -> new AtomicInteger()).incrementAndGet();
              Thread.sleep(5);
            }));
      }
      List<CompletableFuture<Void>> sent = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        for (int n = 0; n < 2; n++) {
          // distinct message ids, same business key: the key function decides what a duplicate is
          sent.add(couriers.get(n).publisher().publish(topic, Message.builder()
              .payload(("order-" + i).getBytes(StandardCharsets.UTF_8)).build()));
        }
      }
      CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
      InMemoryTransport probe = InMemoryTransport.builder().brokerName(broker).build();
      try {
        await(() -> probe.backlog(topic, group).getAsLong() == 0, "all copies are settled");
      } finally {
        probe.close();
      }
    } finally {
      subs.forEach(Subscription::close);
      couriers.forEach(Courier::close);
    }
    assertEquals(30, calls.size());
    calls.forEach((k, n) -> assertEquals(1, n.get(), k + " was handled " + n + " times"));
  }

  @Test
  @DisplayName("returns the message to the broker without calling the handler while the store is failing")
  void storeFailure() throws Exception {
    AtomicInteger failuresLeft = new AtomicInteger(2);
    InMemoryIdempotencyStore real = InMemoryIdempotencyStore.create();
    IdempotencyStore flaky = new IdempotencyStore() {
      @Override
      public Claim tryClaim(String scope, String key, String owner, java.time.Duration lease) {
        if (failuresLeft.getAndDecrement() > 0) {
          throw new IdempotencyStoreException("injected: database unreachable", null);
        }
        return real.tryClaim(scope, key, owner, lease);
      }

      @Override
      public void markDone(String scope, String key, java.time.Duration retention) {
        real.markDone(scope, key, retention);
      }

      @Override
      public void release(String scope, String key, String owner) {
        real.release(scope, key, owner);
      }
    };
    AtomicInteger calls = new AtomicInteger();
    try (Subscription s = courier.subscribe(options(fastRetry().build())
        .idempotency(Idempotency.using(flaky)).build(), d -> calls.incrementAndGet())) {
      publish(copy("order-1", 0));
      await(() -> events.count("acked") == 1, "the message is handled once the store recovers");
    }
    assertEquals(1, calls.get());
    assertEquals(2, events.count("redelivered"), events.events.toString());
    assertEquals(0, events.count("deadLettered"));
  }
}
