package dev.courier.inmemory.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.Courier;
import dev.courier.CourierListener;
import dev.courier.Delivery;
import dev.courier.HandlerTimeoutException;
import dev.courier.SubscriptionOptions;
import dev.courier.inmemory.InMemoryTransport;
import dev.courier.RetryPolicy;
import dev.courier.Subscription;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Retries on the in-memory adapter")
class RetryEndToEndTest extends ReliabilityFixture {
  @Test
  @DisplayName("retry in-process with exponential, jittered spacing, then ack once the handler succeeds")
  void inProcessSpacing() throws Exception {
    RetryPolicy policy = RetryPolicy.builder().maxInProcessAttempts(3).initialInterval(Duration.ofMillis(100))
        .multiplier(2.0).maxInterval(Duration.ofSeconds(1)).randomizationFactor(0.2).build();
    List<Long> calls = new CopyOnWriteArrayList<>();
    List<Integer> attempts = new CopyOnWriteArrayList<>();
    CountDownLatch handled = new CountDownLatch(1);
    try (Subscription s = courier.subscribe(options(policy).build(), d -> {
      calls.add(System.nanoTime());
      attempts.add(d.attempt());
      if (attempts.size() < 3) {
        throw new IllegalStateException("not yet");
      }
      handled.countDown();
    })) {
      publish(text("x"));
      assertTrue(handled.await(10, TimeUnit.SECONDS), "the third attempt never ran");
      await(() -> events.count("acked") == 1, "the delivery is acked");
    }
    assertEquals(List.of(1, 2, 3), attempts);
    long gap1 = TimeUnit.NANOSECONDS.toMillis(calls.get(1) - calls.get(0));
    long gap2 = TimeUnit.NANOSECONDS.toMillis(calls.get(2) - calls.get(1));
    // 100 ms ±20 %, then 200 ms ±20 %. The upper bounds only catch a runaway wait: the events
    // below (exact backoffs, no redelivery) prove the spacing came from the policy, and a loaded
    // 2-core CI machine can stall a thread for hundreds of milliseconds.
    assertTrue(gap1 >= 80 && gap1 < 80 + 2000, "first retry after " + gap1 + " ms");
    assertTrue(gap2 >= 160 && gap2 < 160 + 2000, "second retry after " + gap2 + " ms");
    assertEquals(2, events.backoffs.size());
    Duration b1 = events.backoffs.get(0);
    Duration b2 = events.backoffs.get(1);
    assertTrue(b1.toMillis() >= 80 && b1.toMillis() <= 120, "first backoff " + b1);
    assertTrue(b2.toMillis() >= 160 && b2.toMillis() <= 240, "second backoff " + b2);
    assertEquals(0, events.count("redelivered"));
    assertEquals(0, transport.backlog(topic, group).getAsLong());
  }

  @Test
  @DisplayName("go through both tiers, numbering attempts across in-process retries and broker redeliveries")
  void twoTiers() throws Exception {
    RetryPolicy policy = fastRetry().maxInProcessAttempts(2).maxDeliveries(3).build();
    List<Integer> attempts = new CopyOnWriteArrayList<>();
    try (Subscription s = courier.subscribe(options(policy).build(), d -> {
      attempts.add(d.attempt());
      if (d.attempt() < 6) {
        throw new IllegalStateException("fails until the last attempt");
      }
    })) {
      publish(text("x"));
      await(() -> events.count("acked") == 1, "the sixth attempt succeeds");
    }
    assertEquals(List.of(1, 2, 3, 4, 5, 6), attempts);
    assertEquals(List.of("delivered:1", "retried:1:IllegalStateException", "delivered:2",
        "redelivered:2:IllegalStateException", "delivered:3", "retried:3:IllegalStateException",
        "delivered:4", "redelivered:4:IllegalStateException", "delivered:5",
        "retried:5:IllegalStateException", "delivered:6", "acked:6"), events.events);
    assertEquals(0, courier.admin().deadLetters(topic, group).count().getAsLong());
  }

  @Test
  @DisplayName("treat an Error and a handler past its timeout as failures to retry, not as crashes")
  void errorsAndTimeouts() throws Exception {
    RetryPolicy policy = fastRetry().maxInProcessAttempts(3).build();
    AtomicInteger calls = new AtomicInteger();
    try (Subscription s = courier.subscribe(options(policy).handlerTimeout(Duration.ofSeconds(2)).build(), d -> {
      switch (calls.incrementAndGet()) {
        case 1 -> throw new AssertionError("an Error from the handler");
        case 2 -> new CountDownLatch(1).await(10, TimeUnit.SECONDS); // hangs until the watchdog interrupts it
        default -> { }
      }
    })) {
      publish(text("x"));
      await(() -> events.count("acked") == 1, "the third attempt succeeds");
    }
    assertEquals(List.of("delivered:1", "retried:1:AssertionError", "delivered:2",
        "retried:2:" + HandlerTimeoutException.class.getSimpleName(), "delivered:3", "acked:3"), events.events);
  }

  @Test
  @DisplayName("ignore a listener that throws: settlement goes on as if it were not there")
  void throwingListener() throws Exception {
    CourierListener hostile = new CourierListener() {
      @Override
      public void delivered(Delivery delivery) {
        throw new IllegalStateException("listener bug");
      }

      @Override
      public void retried(Delivery delivery, Throwable failure, Duration backoff) {
        throw new IllegalStateException("listener bug");
      }

      @Override
      public void acked(Delivery delivery, Duration handlerTime) {
        throw new IllegalStateException("listener bug");
      }
    };
    InMemoryTransport own = InMemoryTransport.create();
    AtomicInteger calls = new AtomicInteger();
    try (Courier c = Courier.builder().transport(own).listener(hostile).build()) {
      c.admin().ensureGroup(topic, group);
      c.subscribe(SubscriptionOptions.builder(topic, group).retry(fastRetry().build()).build(), d -> {
        if (calls.incrementAndGet() == 1) {
          throw new IllegalStateException("first attempt fails");
        }
      });
      c.publisher().publish(topic, text("x")).get(5, TimeUnit.SECONDS);
      await(() -> calls.get() == 2 && own.backlog(topic, group).getAsLong() == 0, "the retry succeeds and is acked");
    }
  }
}
