package dev.courier.inmemory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.CapacityExceededException;
import dev.courier.Courier;
import dev.courier.Delivery;
import dev.courier.Message;
import dev.courier.RetryPolicy;
import dev.courier.Subscription;
import dev.courier.SubscriptionOptions;
import dev.courier.testsupport.Poll;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The in-memory broker")
class InMemoryBrokerTest {

  private InMemoryTransport transport;
  private Courier courier;
  private final List<Courier> extra = new ArrayList<>();

  @BeforeEach
  void start() {
    transport = InMemoryTransport.create();
    courier = Courier.builder().transport(transport).build();
  }

  @AfterEach
  void stop() {
    extra.forEach(Courier::close);
    courier.close();
  }

  private static Message text(String s) {
    return Message.builder().payload(s.getBytes(StandardCharsets.UTF_8)).build();
  }

  private static String text(Delivery d) {
    return new String(d.message().payload(), StandardCharsets.UTF_8);
  }


  private static SubscriptionOptions.Builder options(String topic, String group) {
    return SubscriptionOptions.builder(topic, group)
        .retry(RetryPolicy.builder().maxInProcessAttempts(1).initialInterval(Duration.ZERO)
            .maxInterval(Duration.ZERO).redeliveryInitialDelay(Duration.ofMillis(10))
            .redeliveryMaxDelay(Duration.ofMillis(10)).maxDeliveries(100).build());
  }

  @Test
  @DisplayName("keeps messages published after ensureGroup until someone subscribes")
  void keepsMessagesForProvisionedGroup() throws Exception {
    courier.admin().ensureGroup("orders", "billing");
    for (int i = 0; i < 5; i++) {
      courier.publisher().publish("orders", text("m" + i)).get();
    }
    assertEquals(5, transport.backlog("orders", "billing").getAsLong());
    List<String> got = Collections.synchronizedList(new ArrayList<>());
    courier.subscribe(options("orders", "billing").build(), d -> got.add(text(d)));
    Poll.await(() -> got.size() == 5, "all 5 messages arrived");
    assertEquals(List.of("m0", "m1", "m2", "m3", "m4"), got);
    Poll.await(() -> transport.backlog("orders", "billing").getAsLong() == 0, "backlog is empty after acks");
  }

  @Test
  @DisplayName("drops messages published to a topic that has no group, like a fan-out exchange")
  void dropsWithoutGroups() throws Exception {
    courier.publisher().publish("nobody", text("lost")).get();
    List<String> got = Collections.synchronizedList(new ArrayList<>());
    courier.subscribe(options("nobody", "late").build(), d -> got.add(text(d)));
    courier.publisher().publish("nobody", text("kept")).get();
    Poll.await(() -> got.size() == 1, "the message published after the group exists arrived");
    assertEquals(List.of("kept"), got);
  }

  @Test
  @DisplayName("gives every group every message, and shares a group's messages between its consumers")
  void fanOutAndCompetingConsumers() throws Exception {
    int n = 2000;
    Map<String, Set<String>> byGroup = new ConcurrentHashMap<>();
    AtomicInteger a = new AtomicInteger();
    AtomicInteger b = new AtomicInteger();
    AtomicInteger dup = new AtomicInteger();
    for (String g : List.of("email", "payment")) {
      byGroup.put(g, ConcurrentHashMap.newKeySet());
    }
    courier.subscribe(options("orders", "email").build(),
        d -> { if (!byGroup.get("email").add(d.message().id())) dup.incrementAndGet(); });
    courier.subscribe(options("orders", "payment").concurrency(2).build(), d -> {
      a.incrementAndGet();
      if (!byGroup.get("payment").add(d.message().id())) dup.incrementAndGet();
    });
    courier.subscribe(options("orders", "payment").concurrency(2).build(), d -> {
      b.incrementAndGet();
      if (!byGroup.get("payment").add(d.message().id())) dup.incrementAndGet();
    });
    for (int i = 0; i < n; i++) {
      courier.publisher().publish("orders", text("o" + i));
    }
    Poll.await(() -> byGroup.get("email").size() == n && byGroup.get("payment").size() == n, "both groups have all");
    assertEquals(0, dup.get(), "no message handled twice within a group");
    assertTrue(a.get() > 0 && b.get() > 0, "both payment consumers got work: " + a + " / " + b);
    assertEquals(n, a.get() + b.get());
  }

  @Test
  @DisplayName("redelivers a failed delivery with a growing attempt number")
  void redeliversOnFailure() throws Exception {
    List<Integer> attempts = Collections.synchronizedList(new ArrayList<>());
    CountDownLatch done = new CountDownLatch(1);
    courier.subscribe(options("t", "g").build(), d -> {
      attempts.add(d.attempt());
      if (attempts.size() < 3) {
        throw new IllegalStateException("transient");
      }
      done.countDown();
    });
    courier.publisher().publish("t", text("x")).get();
    assertTrue(done.await(Poll.DEADLINE.toSeconds(), TimeUnit.SECONDS));
    assertEquals(3, attempts.size());
    assertTrue(attempts.get(0) < attempts.get(1) && attempts.get(1) < attempts.get(2),
        "attempts grow: " + attempts);
  }

  @Test
  @DisplayName("returns unacked deliveries when a subscription closes, and a new subscriber gets them")
  void closeReturnsUnacked() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Subscription first = courier.subscribe(options("t", "g").maxInFlight(10)
        .drainTimeout(Duration.ofMillis(200)).build(), d -> {
          started.countDown();
          release.await(); // blocks until the drain timeout interrupts it
        });
    for (int i = 0; i < 5; i++) {
      courier.publisher().publish("t", text("m" + i)).get();
    }
    assertTrue(started.await(10, TimeUnit.SECONDS));
    first.close();
    assertFalse(first.isOpen());
    Set<String> got = ConcurrentHashMap.newKeySet();
    courier.subscribe(options("t", "g").build(), d -> got.add(text(d)));
    Poll.await(() -> got.size() == 5, "all 5 messages reached the second subscriber");
  }

  @Test
  @DisplayName("redelivers a delivery nobody settles within the ack timeout")
  void ackTimeoutRedelivers() throws Exception {
    InMemoryTransport t = InMemoryTransport.builder().ackTimeout(Duration.ofMillis(200)).build();
    Courier c = Courier.builder().transport(t).build();
    extra.add(c);
    c.admin().ensureGroup("t", "g");
    c.publisher().publish("t", text("stuck")).get();
    // A raw receiver that starts a handler and never settles plays a hung or crashed consumer.
    List<Integer> counts = Collections.synchronizedList(new ArrayList<>());
    t.receive(new dev.courier.spi.ReceiveSpec("t", "g", 10, false), d -> {
      assertTrue(d.tryStart());
      counts.add(d.deliveryCount());
    });
    Poll.await(() -> counts.size() >= 2, "the delivery came back after the ack timeout");
    assertEquals(List.of(1, 2), counts.subList(0, 2));
  }

  @Test
  @DisplayName("a delivery that waited past the ack timeout without a handler starting returns uncounted, and cannot start")
  void ackTimeoutBeforeStartIsUncounted() throws Exception {
    InMemoryTransport t = InMemoryTransport.builder().ackTimeout(Duration.ofMillis(200)).build();
    Courier c = Courier.builder().transport(t).build();
    extra.add(c);
    c.admin().ensureGroup("t", "g");
    c.publisher().publish("t", text("waiting")).get();
    // A raw receiver that holds deliveries without starting them plays a consumer whose handler
    // threads are all busy.
    List<dev.courier.spi.TransportDelivery> held = Collections.synchronizedList(new ArrayList<>());
    t.receive(new dev.courier.spi.ReceiveSpec("t", "g", 10, false), held::add);
    Poll.await(() -> held.size() >= 2, "the delivery came back after the ack timeout");
    assertEquals(1, held.get(1).deliveryCount(), "time spent waiting for a handler thread is not a delivery");
    assertTrue(held.get(0).isWithdrawn());
    assertFalse(held.get(0).tryStart(), "a withdrawn delivery must not start");
    assertTrue(held.get(1).tryStart() || held.get(1).isWithdrawn());
  }

  @Test
  @DisplayName("holds a redelivery back for the nack delay")
  void nackWithDelay() throws Exception {
    InMemoryTransport t = InMemoryTransport.create();
    Courier c = Courier.builder().transport(t).build();
    extra.add(c);
    c.admin().ensureGroup("t", "g");
    c.publisher().publish("t", text("later")).get();
    List<Long> seenAt = Collections.synchronizedList(new ArrayList<>());
    t.receive(new dev.courier.spi.ReceiveSpec("t", "g", 10, false), d -> {
      seenAt.add(System.nanoTime());
      if (d.deliveryCount() == 1) {
        d.nack(Duration.ofMillis(300));
      } else {
        d.ack();
      }
    });
    Poll.await(() -> seenAt.size() == 2, "the nacked message came back");
    long gapMillis = TimeUnit.NANOSECONDS.toMillis(seenAt.get(1) - seenAt.get(0));
    assertTrue(gapMillis >= 290, "redelivered after " + gapMillis + " ms, expected ≥ 300");
    Poll.await(() -> t.backlog("t", "g").getAsLong() == 0, "acked");
  }

  @Test
  @DisplayName("keeps per-key order with concurrency 8 across two competing subscribers")
  void perKeyOrder() throws Exception {
    int keys = 20;
    int perKey = 100;
    Map<String, List<Integer>> seen = new ConcurrentHashMap<>();
    AtomicInteger total = new AtomicInteger();
    AtomicInteger concurrentSameKey = new AtomicInteger();
    Set<String> busy = ConcurrentHashMap.newKeySet();
    for (int s = 0; s < 2; s++) {
      courier.subscribe(options("t", "g").concurrency(8).orderedByKey(true).build(), d -> {
        String key = d.message().key().orElseThrow();
        if (!busy.add(key)) {
          concurrentSameKey.incrementAndGet();
        }
        try {
          seen.computeIfAbsent(key, k -> Collections.synchronizedList(new ArrayList<>()))
              .add(Integer.parseInt(text(d)));
          Thread.onSpinWait();
        } finally {
          busy.remove(key);
          total.incrementAndGet();
        }
      });
    }
    for (int i = 0; i < perKey; i++) {
      for (int k = 0; k < keys; k++) {
        courier.publisher().publish("t", text(Integer.toString(i)).withKey("k" + k));
      }
    }
    Poll.await(() -> total.get() == keys * perKey, "all messages handled");
    assertEquals(0, concurrentSameKey.get(), "same-key messages never ran concurrently");
    for (Map.Entry<String, List<Integer>> e : seen.entrySet()) {
      List<Integer> got = e.getValue();
      for (int i = 0; i < got.size(); i++) {
        assertEquals(i, got.get(i), "order of key " + e.getKey());
      }
    }
  }

  @Test
  @DisplayName("refuses a publish with CapacityExceededException when a group is full, losing nothing accepted")
  void boundedBacklog() throws Exception {
    Courier c = Courier.builder().transport(InMemoryTransport.builder().maxGroupBacklog(3).build()).build();
    extra.add(c);
    c.admin().ensureGroup("t", "g");
    for (int i = 0; i < 3; i++) {
      c.publisher().publish("t", text("m" + i)).get();
    }
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> c.publisher().publish("t", text("overflow")).get());
    assertInstanceOf(CapacityExceededException.class, e.getCause());
    assertTrue(e.getCause().getMessage().contains("max-group-backlog"), e.getCause().getMessage());
    Set<String> got = ConcurrentHashMap.newKeySet();
    c.subscribe(options("t", "g").build(), d -> got.add(text(d)));
    Poll.await(() -> got.size() == 3, "the 3 accepted messages arrived");
    assertEquals(Set.of("m0", "m1", "m2"), got);
  }

  @Test
  @DisplayName("loses nothing and duplicates nothing with 4 publishers and 3 subscribers of one group")
  void concurrency() throws Exception {
    int publishers = 4;
    int each = 5000;
    Set<String> handled = ConcurrentHashMap.newKeySet();
    AtomicInteger duplicates = new AtomicInteger();
    for (int s = 0; s < 3; s++) {
      courier.subscribe(options("t", "g").concurrency(3).build(), d -> {
        if (!handled.add(d.message().id())) {
          duplicates.incrementAndGet();
        }
      });
    }
    List<Thread> threads = new ArrayList<>();
    Set<String> published = ConcurrentHashMap.newKeySet();
    for (int p = 0; p < publishers; p++) {
      int id = p;
      Thread t = new Thread(() -> {
        for (int i = 0; i < each; i++) {
          Message m = text(id + "-" + i);
          published.add(m.id());
          courier.publisher().publish("t", m).join();
        }
      });
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    Poll.await(() -> handled.size() == publishers * each, "every message handled");
    assertEquals(published, handled);
    assertEquals(0, duplicates.get());
  }

  @Test
  @DisplayName("closing while handlers are busy waits for them and acks only what they finished")
  void closeWhileBusy() throws Exception {
    CountDownLatch inHandler = new CountDownLatch(2);
    CountDownLatch finish = new CountDownLatch(1);
    AtomicInteger completed = new AtomicInteger();
    Subscription s = courier.subscribe(options("t", "g").concurrency(2).drainTimeout(Duration.ofSeconds(10)).build(), d -> {
      inHandler.countDown();
      finish.await();
      completed.incrementAndGet();
    });
    for (int i = 0; i < 10; i++) {
      courier.publisher().publish("t", text("m" + i)).get();
    }
    assertTrue(inHandler.await(10, TimeUnit.SECONDS));
    Thread closer = new Thread(s::close);
    closer.start();
    Poll.await(() -> !s.isOpen(), "close began");
    finish.countDown();
    closer.join(10_000);
    assertFalse(closer.isAlive(), "close returned");
    assertEquals(2, completed.get(), "the two running handlers finished; nothing else started");
    assertEquals(8, transport.backlog("t", "g").getAsLong(), "the 8 unhandled messages are still in the group");
  }
}
