package dev.courier.inmemory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.Courier;
import dev.courier.Message;
import dev.courier.RetryPolicy;
import dev.courier.Subscription;
import dev.courier.SubscriptionOptions;
import dev.courier.testsupport.Poll;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Regressions found in review: slow handlers against ack timeouts, outages, and closing mid-handler. */
@DisplayName("The subscription runtime on the in-memory broker")
class RuntimeEdgeCasesTest {
  private Courier courier;

  @AfterEach
  void close() {
    if (courier != null) {
      courier.close();
    }
  }


  private static Message msg(String id) {
    return Message.builder().id(id).payload(new byte[1]).build();
  }

  @Test
  @DisplayName("handles every message after a handler outlived the ack timeout several times over (no re-send loop, nothing stuck)")
  void handlerOutlivesAckTimeout() throws Exception {
    InMemoryTransport t = InMemoryTransport.builder().ackTimeout(Duration.ofMillis(200)).build();
    courier = Courier.builder().transport(t).build();
    courier.admin().ensureGroup("t", "g");
    Set<String> handled = ConcurrentHashMap.newKeySet();
    java.util.concurrent.atomic.AtomicBoolean first = new java.util.concurrent.atomic.AtomicBoolean(true);
    courier.subscribe(SubscriptionOptions.builder("t", "g").maxInFlight(4).build(), d -> {
      if (first.getAndSet(false)) {
        Thread.sleep(1_500); // meanwhile every delivery expires several times; stale copies pile up
      }
      handled.add(d.message().id());
    });
    for (int i = 0; i < 20; i++) {
      courier.publisher().publish("t", msg("m" + i)).join();
    }
    Poll.await(() -> t.backlog("t", "g").getAsLong() == 0, "the group is empty");
    assertEquals(20, handled.size());
  }

  @Test
  @DisplayName("messages queued for a busy handler longer than the ack timeout are each handled once, as attempt 1")
  void queuedPastAckTimeoutIsNotADelivery() throws Exception {
    InMemoryTransport t = InMemoryTransport.builder().ackTimeout(Duration.ofSeconds(3)).build();
    courier = Courier.builder().transport(t).build();
    courier.admin().ensureGroup("t", "g");
    Map<String, List<Integer>> attempts = new ConcurrentHashMap<>();
    courier.subscribe(SubscriptionOptions.builder("t", "g").concurrency(1).maxInFlight(40).build(), d -> {
      attempts.computeIfAbsent(d.message().id(), k -> new java.util.concurrent.CopyOnWriteArrayList<>())
          .add(d.attempt());
      Thread.sleep(100); // a slow handler: the last of 40 messages waits ~3.9 s for the one thread
    });
    for (int i = 0; i < 40; i++) {
      courier.publisher().publish("t", msg("q" + i)).join();
    }
    Poll.await(() -> t.backlog("t", "g").getAsLong() == 0, "the group is empty");
    assertEquals(40, attempts.size());
    attempts.forEach((id, a) -> assertEquals(List.of(1), a, id + " was handled as attempts " + a));
  }

  @Test
  @DisplayName("recovers from two outages while a handler is blocked, and loses nothing")
  void outagesWhileBlocked() throws Exception {
    String name = "rt-" + System.nanoTime();
    try {
      InMemoryTransport t = InMemoryTransport.builder().brokerName(name).build();
      InMemoryBroker broker = InMemoryBroker.named(name, 1_000_000, Duration.ofMinutes(5));
      courier = Courier.builder().transport(t).build();
      courier.admin().ensureGroup("t", "g");
      CountDownLatch blocked = new CountDownLatch(1);
      CountDownLatch unblock = new CountDownLatch(1);
      Set<String> handled = ConcurrentHashMap.newKeySet();
      courier.subscribe(SubscriptionOptions.builder("t", "g").maxInFlight(1).build(), d -> {
        if (d.message().id().equals("first")) {
          blocked.countDown();
          unblock.await();
        }
        handled.add(d.message().id());
      });
      courier.publisher().publish("t", msg("first")).join();
      courier.publisher().publish("t", msg("second")).join();
      assertTrue(blocked.await(10, TimeUnit.SECONDS));
      broker.stop();
      broker.start();
      broker.stop();
      broker.start();
      unblock.countDown();
      Poll.await(() -> handled.containsAll(Set.of("first", "second")) && t.backlog("t", "g").getAsLong() == 0,
          "both messages were handled and settled");
    } finally {
      InMemoryBroker.discard(name);
    }
  }

  @Test
  @DisplayName("a handler interrupted by close() neither retries nor dead-letters: the message goes back untouched")
  void closeIsNotAFailure() throws Exception {
    InMemoryTransport t = InMemoryTransport.create();
    courier = Courier.builder().transport(t).build();
    courier.admin().ensureGroup("t", "g");
    CountDownLatch started = new CountDownLatch(1);
    java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
    Subscription s = courier.subscribe(SubscriptionOptions.builder("t", "g")
        .retry(RetryPolicy.builder().maxDeliveries(1).maxInProcessAttempts(3).initialInterval(Duration.ZERO)
            .maxInterval(Duration.ZERO).build())
        .drainTimeout(Duration.ofMillis(200)).build(), d -> {
          calls.incrementAndGet();
          started.countDown();
          new CountDownLatch(1).await(10, TimeUnit.SECONDS); // healthy but slow: runs until interrupted
        });
    courier.publisher().publish("t", msg("slow")).join();
    assertTrue(started.await(10, TimeUnit.SECONDS));
    s.close();
    Poll.await(() -> t.backlog("t", "g").getAsLong() == 1, "the message is back in the group");
    assertEquals(1, calls.get(), "no in-process retry after close");
    assertEquals(0, courier.admin().deadLetters("t", "g").count().getAsLong(), "not dead-lettered");
    Set<String> handled = ConcurrentHashMap.newKeySet();
    courier.subscribe(SubscriptionOptions.builder("t", "g").build(), d -> handled.add(d.message().id()));
    Poll.await(() -> handled.contains("slow"), "a new subscriber handles it");
  }

  @Test
  @DisplayName("a handler may close its own subscription without waiting for the drain timeout")
  void closeFromHandler() throws Exception {
    InMemoryTransport t = InMemoryTransport.create();
    courier = Courier.builder().transport(t).build();
    courier.admin().ensureGroup("t", "g");
    Subscription[] self = new Subscription[1];
    CountDownLatch closed = new CountDownLatch(1);
    self[0] = courier.subscribe(SubscriptionOptions.builder("t", "g").drainTimeout(Duration.ofSeconds(30)).build(), d -> {
      while (self[0] == null) {
        Thread.onSpinWait();
      }
      self[0].close();
      closed.countDown();
    });
    courier.publisher().publish("t", msg("stop")).join();
    assertTrue(closed.await(10, TimeUnit.SECONDS), "close() from the handler returned well before the 30 s drain timeout");
  }
}
