package dev.courier.inmemory.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.Idempotency;
import dev.courier.Message;
import dev.courier.RetryPolicy;
import dev.courier.Subscription;
import dev.courier.SubscriptionOptions;
import dev.courier.idempotency.InMemoryIdempotencyStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Handlers that ignore the interrupt of their handlerTimeout. With a 300 ms timeout the runtime
 * abandons such a handler 1 s (the smallest grace) after the interrupt.
 */
@DisplayName("A handler that ignores its timeout on the in-memory adapter")
class StuckHandlerEndToEndTest extends ReliabilityFixture {
  private static final Duration TIMEOUT = Duration.ofMillis(300);
  private static final Duration GRACE = Duration.ofSeconds(1);
  /** Room for a loaded 2-core machine on top of timeout + grace. */
  private static final Duration SLACK = Duration.ofSeconds(3);

  private final CountDownLatch release = new CountDownLatch(1);
  private final AtomicInteger swallowedInterrupts = new AtomicInteger();

  @AfterEach
  void releaseStuckHandlers() {
    release.countDown();
  }

  @Test
  @DisplayName("does not block the subscription: the next message is handled and the stuck one is redelivered, settled once")
  void nextMessageIsHandled() throws Exception {
    Map<String, List<Integer>> attempts = new ConcurrentHashMap<>();
    CountDownLatch aStuck = new CountDownLatch(1);
    AtomicReference<Thread> stuckThread = new AtomicReference<>();
    courier.subscribe(stuckOptions().build(), d -> {
      attempts.computeIfAbsent(d.message().id(), k -> new CopyOnWriteArrayList<>()).add(d.attempt());
      if (d.message().id().equals("A") && d.attempt() == 1) {
        stuckThread.set(Thread.currentThread());
        aStuck.countDown();
        hangIgnoringInterrupts(); // then returns normally: a late success that must be ignored
      }
    });
    publish(withId("A"));
    assertTrue(aStuck.await(10, TimeUnit.SECONDS), "the handler never started on A");
    long start = System.nanoTime();
    publish(withId("B"));
    await(() -> attempts.containsKey("B"), "B is handled although A's handler is stuck");
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertTrue(took.compareTo(TIMEOUT.plus(GRACE).plus(SLACK)) < 0, "B was handled only after " + took);
    await(() -> attempts.get("A").contains(2), "A is redelivered as attempt 2");
    await(() -> transport.backlog(topic, group).getAsLong() == 0, "A's redelivery and B are acked");
    assertTrue(events.events.contains("redelivered:1:HandlerTimeoutException"), events.events.toString());

    release.countDown();
    stuckThread.get().join(TimeUnit.SECONDS.toMillis(10));
    assertFalse(stuckThread.get().isAlive(), "the abandoned thread exits once its handler returns");
    assertEquals(List.of(1), attempts.get("B"));
    assertEquals(List.of(1, 2), attempts.get("A"));
    assertEquals(1, exactly("acked:1"), "only B's attempt 1 was acked, not A's late success: " + events.events);
    assertEquals(1, exactly("acked:2"), events.events.toString());
    assertEquals(1, events.count("redelivered"), events.events.toString());
  }

  @Test
  @DisplayName("keeps a key's lane moving with orderedByKey: later messages of the key run while the stuck one waits for its redelivery")
  void laneMovesOn() throws Exception {
    List<String> handled = new CopyOnWriteArrayList<>();
    courier.subscribe(stuckOptions().orderedByKey(true).build(), d -> {
      if (d.message().id().equals("A") && d.attempt() == 1) {
        hangIgnoringInterrupts();
        return;
      }
      handled.add(d.message().id() + ":" + d.attempt());
    });
    publish(withId("A"));
    publish(withId("B"));
    await(() -> handled.containsAll(List.of("B:1", "A:2")), "B and A's redelivery are handled");
    assertEquals(List.of("B:1", "A:2"), handled, "B ran while A waited for its redelivery, as after any failure");
  }

  @Test
  @DisplayName("keeps the abandoned delivery's idempotency claim: the redelivery waits for the lease instead of running beside the stuck handler")
  void claimIsKeptUntilTheLeaseExpires() throws Exception {
    Duration lease = Duration.ofSeconds(3);
    Map<Integer, Long> startedAt = new ConcurrentHashMap<>();
    courier.subscribe(stuckOptions().idempotency(Idempotency.using(InMemoryIdempotencyStore.create()).withLease(lease))
        .build(), d -> {
          startedAt.put(d.attempt(), System.nanoTime());
          if (d.attempt() == 1) {
            hangIgnoringInterrupts();
          }
        });
    publish(withId("A"));
    await(() -> events.count("redelivered") >= 1, "A is abandoned and settled for redelivery");
    await(() -> events.events.contains("acked:2"), "A's redelivery is handled once the claim's lease expired");
    Duration gap = Duration.ofNanos(startedAt.get(2) - startedAt.get(1));
    // The claim is taken just before the stuck call started: allow for that moment.
    assertTrue(gap.compareTo(lease.minusMillis(100)) >= 0, "the redelivery ran " + gap + " after the stuck call, within its lease of " + lease);
  }

  @Test
  @DisplayName("does not hold close() for the drain timeout, and is interrupted again by it")
  void closeDoesNotWaitForTheDrainTimeout() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    Subscription s = courier.subscribe(stuckOptions().drainTimeout(Duration.ofSeconds(30)).build(), d -> {
      started.countDown();
      hangIgnoringInterrupts();
    });
    publish(withId("A"));
    assertTrue(started.await(10, TimeUnit.SECONDS), "the handler never started");
    long start = System.nanoTime();
    s.close();
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertTrue(took.compareTo(TIMEOUT.plus(GRACE).plus(SLACK)) < 0, "close() took " + took + " (drain timeout 30 s)");
    await(() -> swallowedInterrupts.get() >= 2, "the abandoned handler is interrupted by its timeout and again by close()");
    await(() -> transport.backlog(topic, group).getAsLong() == 1, "A is back in the group, not acked");
  }

  @Test
  @DisplayName("abandons at most concurrency threads: a handler that always hangs stalls the subscription instead of leaking threads")
  void abandonedThreadsAreBounded() throws Exception {
    AtomicInteger entered = new AtomicInteger();
    CountDownLatch third = new CountDownLatch(1);
    Set<String> handled = ConcurrentHashMap.newKeySet();
    courier.subscribe(stuckOptions().build(), d -> {
      if (entered.incrementAndGet() == 3) {
        third.countDown();
      }
      if (release.getCount() > 0) {
        hangIgnoringInterrupts();
        return;
      }
      handled.add(d.message().id());
    });
    for (String id : List.of("m1", "m2", "m3")) {
      publish(withId(id));
    }
    await(() -> entered.get() == 2, "the replacement of the first stuck thread takes the next message");
    await(() -> events.count("redelivered") == 2, "both stuck deliveries are settled for redelivery");
    assertFalse(third.await(TIMEOUT.plus(GRACE).multipliedBy(2).toMillis(), TimeUnit.MILLISECONDS),
        "a second stuck thread (beyond concurrency = 1) was replaced too");
    assertEquals(2, entered.get());

    release.countDown(); // the stuck threads return and exit; a new worker takes the owed slot
    await(() -> handled.containsAll(Set.of("m1", "m2", "m3")) && transport.backlog(topic, group).getAsLong() == 0,
        "every message is handled once a stuck thread has returned");
  }

  private SubscriptionOptions.Builder stuckOptions() {
    RetryPolicy retry = fastRetry().maxInProcessAttempts(1).build();
    return options(retry).concurrency(1).handlerTimeout(TIMEOUT);
  }

  /** A handler that swallows interrupts until the test releases it (or a minute passed). */
  private void hangIgnoringInterrupts() {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
    while (System.nanoTime() - deadline < 0) {
      try {
        if (release.await(1, TimeUnit.SECONDS)) {
          return;
        }
      } catch (InterruptedException e) {
        swallowedInterrupts.incrementAndGet();
      }
    }
  }

  private long exactly(String event) {
    return events.events.stream().filter(event::equals).count();
  }

  private static Message withId(String id) {
    return Message.builder().id(id).key("k").payload(new byte[1]).build();
  }
}
