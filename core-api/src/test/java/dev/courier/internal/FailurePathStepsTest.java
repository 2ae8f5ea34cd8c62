package dev.courier.internal;

import java.util.concurrent.CountDownLatch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.courier.DeadLetterPolicy;
import dev.courier.HandlerTimeoutException;
import dev.courier.Idempotency;
import dev.courier.Message;
import dev.courier.MessageHandler;
import dev.courier.RetryPolicy;
import dev.courier.SubscriptionOptions;
import dev.courier.idempotency.IdempotencyStore;
import dev.courier.idempotency.IdempotencyStoreException;
import dev.courier.idempotency.InMemoryIdempotencyStore;
import dev.courier.internal.StepFixtures.Events;
import dev.courier.internal.StepFixtures.FakeDelivery;
import dev.courier.internal.StepFixtures.RecordingTransport;
import dev.courier.spi.Undecodable;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The README's failure path, one step at a time, and as a whole, without an adapter or threads of its own. */
@DisplayName("The failure path's steps")
class FailurePathStepsTest {
  private static final String TOPIC = "orders";
  private static final String GROUP = "billing";
  private static final Message MESSAGE = Message.builder().id("order-1").payload(new byte[] {1}).build();

  private final HandlerWatchdog watchdog = new HandlerWatchdog();
  private final HandlerWatchdog.Call call = watchdog.register(Thread.currentThread(), TimeUnit.SECONDS.toNanos(1),
      (c, settle, nanos) -> {});
  private final RecordingTransport transport = new RecordingTransport();
  private final Events events = new Events();
  private final Extensions extensions = new Extensions(true);

  FailurePathStepsTest() {
    extensions.addListener(events);
  }

  @AfterEach
  void stop() {
    watchdog.unregister(call);
    watchdog.close();
  }

  private static RetryPolicy.Builder fast() {
    return RetryPolicy.builder().initialInterval(Duration.ZERO).maxInterval(Duration.ZERO)
        .redeliveryInitialDelay(Duration.ofMillis(10)).redeliveryMaxDelay(Duration.ofMillis(10));
  }

  private DeliveryContext context(int attempt) {
    return new DeliveryContext(MESSAGE, TOPIC, GROUP, attempt);
  }

  private ReliableDeliveryProcessor processor(SubscriptionOptions.Builder options, MessageHandler handler) {
    SubscriptionOptions o = options.build();
    return new ReliableDeliveryProcessor(o, handler, extensions, new DeadLetterSender(transport, TOPIC, GROUP,
        "orders.billing.dlq", DeadLetterPolicy.defaults(), Duration.ofSeconds(1)), Duration.ofMinutes(1),
        Clock.systemUTC());
  }

  private static SubscriptionOptions.Builder options(RetryPolicy retry) {
    return SubscriptionOptions.builder(TOPIC, GROUP).retry(retry);
  }

  @Nested
  @DisplayName("idempotency")
  class IdempotencyStep {
    private final InMemoryIdempotencyStore store = InMemoryIdempotencyStore.create();
    private final IdempotencyGuard guard = new IdempotencyGuard(Idempotency.using(store), "orders/billing");

    @Test
    @DisplayName("acquires a new key, sees it in progress for another claim, and done once marked")
    void claims() {
      IdempotencyGuard.Claim first = guard.claim(MESSAGE);
      assertEquals(IdempotencyGuard.Outcome.ACQUIRED, first.outcome);
      assertEquals(IdempotencyGuard.Outcome.IN_PROGRESS, guard.claim(MESSAGE).outcome);
      first.markDone();
      assertEquals(IdempotencyGuard.Outcome.DONE, guard.claim(MESSAGE).outcome);
    }

    @Test
    @DisplayName("a released claim lets the next delivery acquire the key; a claim it did not get releases nothing")
    void release() {
      IdempotencyGuard.Claim first = guard.claim(MESSAGE);
      IdempotencyGuard.Claim busy = guard.claim(MESSAGE);
      busy.release(); // not its claim: a no-op
      assertEquals(IdempotencyGuard.Outcome.IN_PROGRESS, guard.claim(MESSAGE).outcome);
      first.release();
      assertEquals(IdempotencyGuard.Outcome.ACQUIRED, guard.claim(MESSAGE).outcome);
    }

    @Test
    @DisplayName("a key function returning null is a bad key; a throwing store is a store failure")
    void failures() {
      IdempotencyGuard badKey = new IdempotencyGuard(Idempotency.using(store).withKey(m -> null), "s");
      IdempotencyGuard.Claim c = badKey.claim(MESSAGE);
      assertEquals(IdempotencyGuard.Outcome.BAD_KEY, c.outcome);
      assertInstanceOf(IllegalStateException.class, c.failure);
      IdempotencyGuard broken = new IdempotencyGuard(Idempotency.using(new FailingStore()), "s");
      IdempotencyGuard.Claim d = broken.claim(MESSAGE);
      assertEquals(IdempotencyGuard.Outcome.STORE_FAILED, d.outcome);
      assertInstanceOf(IdempotencyStoreException.class, d.failure);
    }
  }

  @Nested
  @DisplayName("handler call")
  class HandlerCallStep {
    @Test
    @DisplayName("runs the delivery interceptors around the handler, first registered outermost, recomposed on registration")
    void interceptors() {
      List<String> trace = new CopyOnWriteArrayList<>();
      HandlerInvocation invocation = new HandlerInvocation(d -> trace.add("handler"), extensions, Duration.ofSeconds(5));
      assertNull(invocation.call(context(1), call, () -> {}));
      extensions.addDeliveryInterceptor((d, next) -> {
        trace.add("a");
        next.handle(d);
      });
      extensions.addDeliveryInterceptor((d, next) -> {
        trace.add("b");
        next.handle(d);
      });
      assertNull(invocation.call(context(1), call, () -> {}));
      assertEquals(List.of("handler", "a", "b", "handler"), trace);
    }

    @Test
    @DisplayName("returns what the handler threw, and a HandlerTimeoutException for a call past its timeout")
    void failures() {
      IllegalStateException boom = new IllegalStateException("boom");
      HandlerInvocation failing = new HandlerInvocation(d -> {
        throw boom;
      }, extensions, Duration.ofSeconds(5));
      assertSame(boom, failing.call(context(1), call, () -> {}));
      HandlerInvocation slow = new HandlerInvocation(d -> new CountDownLatch(1).await(10, TimeUnit.SECONDS), extensions, Duration.ofMillis(30));
      Throwable timeout = slow.call(context(1), call, () -> {});
      assertInstanceOf(HandlerTimeoutException.class, timeout);
      assertInstanceOf(InterruptedException.class, timeout.getCause());
    }
  }

  @Nested
  @DisplayName("redelivery / dead-letter decision")
  class SettlementStep {
    private FailureSettlement settlement(RetryPolicy policy) {
      return new FailureSettlement(policy, new DeadLetterSender(transport, TOPIC, GROUP, "orders.billing.dlq",
          DeadLetterPolicy.defaults(), Duration.ofSeconds(1)), new Backoff(policy), Duration.ofMinutes(1),
          Clock.systemUTC(), extensions, "orders/billing");
    }

    @Test
    @DisplayName("redelivers a retryable failure before maxDeliveries, with the redelivery delay")
    void redeliver() {
      FakeDelivery raw = new FakeDelivery(MESSAGE, 1);
      settlement(fast().maxDeliveries(2).build()).settle(raw, context(3), new IllegalStateException(), 1);
      assertEquals(List.of("nack:10"), raw.settled);
      assertEquals(List.of("redelivered:3:IllegalStateException"), events.list);
      assertEquals(List.of(), transport.sent);
    }

    @Test
    @DisplayName("dead-letters at maxDeliveries, and at once a non-retryable failure; acks only after the copy is confirmed")
    void deadLetter() {
      FakeDelivery exhausted = new FakeDelivery(MESSAGE, 2);
      settlement(fast().maxDeliveries(2).build()).settle(exhausted, context(6), new IllegalStateException(), 2);
      FakeDelivery poison = new FakeDelivery(MESSAGE, 1);
      settlement(fast().noRetryOn(IllegalArgumentException.class).build())
          .settle(poison, context(1), new IllegalArgumentException(), 1);
      assertEquals(List.of("ack"), exhausted.settled);
      assertEquals(List.of("ack"), poison.settled);
      assertEquals(List.of("orders.billing.dlq:order-1", "orders.billing.dlq:order-1"), transport.sent);
      assertEquals(List.of("deadLettered:6:IllegalStateException", "deadLettered:1:IllegalArgumentException"),
          events.list);
    }

    @Test
    @DisplayName("a dead letter that is not confirmed sends the original back instead of acking it")
    void deadLetterFails() {
      transport.failing = true;
      FakeDelivery raw = new FakeDelivery(MESSAGE, 2);
      settlement(fast().maxDeliveries(2).build()).settle(raw, context(6), new IllegalStateException(), 2);
      assertEquals(List.of("nack:10"), raw.settled);
      assertEquals(List.of("redelivered:6:PublishException"), events.list);
    }
  }

  @Nested
  @DisplayName("the whole path")
  class WholePath {
    @Test
    @DisplayName("a success: started, delivered, acked")
    void success() {
      FakeDelivery raw = new FakeDelivery(MESSAGE, 1);
      processor(options(fast().build()), d -> {}).process(raw, call);
      assertEquals(List.of("started:1", "delivered:1", "acked:1"), events.list);
      assertEquals(List.of("ack"), raw.settled);
    }

    @Test
    @DisplayName("in-process retries then a redelivery, attempts numbered across deliveries")
    void retriesThenRedelivery() {
      FakeDelivery raw = new FakeDelivery(MESSAGE, 2);
      processor(options(fast().maxInProcessAttempts(2).maxDeliveries(3).build()), d -> {
        throw new IllegalStateException();
      }).process(raw, call);
      assertEquals(List.of("started:3", "delivered:3", "retried:3:IllegalStateException", "delivered:4",
          "redelivered:4:IllegalStateException"), events.list);
      assertEquals(List.of("nack:10"), raw.settled);
    }

    @Test
    @DisplayName("an undecodable entry is dead-lettered without calling the handler")
    void undecodable() {
      FakeDelivery raw = new FakeDelivery(MESSAGE, 1) {
        @Override
        public Optional<Undecodable> undecodable() {
          return Optional.of(new Undecodable("bad header", "test:1"));
        }
      };
      AtomicInteger calls = new AtomicInteger();
      processor(options(fast().build()), d -> calls.incrementAndGet()).process(raw, call);
      assertEquals(0, calls.get());
      assertEquals(List.of("started:1", "deadLettered:1:PayloadDecodeException"), events.list);
      assertEquals(List.of("ack"), raw.settled);
    }

    @Test
    @DisplayName("a duplicate is skipped, a busy claim deferred, a failing store redelivered: each one terminal event")
    void idempotency() {
      InMemoryIdempotencyStore store = InMemoryIdempotencyStore.create();
      AtomicInteger calls = new AtomicInteger();
      ReliableDeliveryProcessor p = processor(options(fast().build()).idempotency(Idempotency.using(store)),
          d -> calls.incrementAndGet());
      p.process(new FakeDelivery(MESSAGE, 1), call);
      FakeDelivery duplicate = new FakeDelivery(MESSAGE, 2);
      p.process(duplicate, call);
      assertEquals(List.of("ack"), duplicate.settled);
      store.tryClaim("orders/billing", "other", "someone-else", Duration.ofMinutes(1));
      FakeDelivery busy = new FakeDelivery(Message.builder().id("other").payload(new byte[] {1}).build(), 1);
      p.process(busy, call);
      assertEquals(List.of("defer:10"), busy.settled);
      FakeDelivery unreachable = new FakeDelivery(MESSAGE, 1);
      processor(options(fast().build()).idempotency(Idempotency.using(new FailingStore())), d -> calls.incrementAndGet())
          .process(unreachable, call);
      assertEquals(List.of("nack:10"), unreachable.settled);
      assertEquals(1, calls.get());
      assertEquals(List.of("started:1", "delivered:1", "acked:1", "started:4", "duplicateSkipped:4",
          "started:1", "redelivered:1:CourierException", "started:1", "redelivered:1:IdempotencyStoreException"),
          events.list);
    }

    @Test
    @DisplayName("a handler call failing because the subscription is closing hands the delivery back: released")
    void closing() {
      FakeDelivery raw = new FakeDelivery(MESSAGE, 1);
      call.stop();
      processor(options(fast().build()), d -> {
        throw new InterruptedException("close");
      }).process(raw, call);
      assertEquals(List.of("started:1", "delivered:1", "released:1:CLOSING"), events.list);
      assertEquals(List.of("release"), raw.settled);
    }
  }

  /** A store whose database is unreachable. */
  private static final class FailingStore implements IdempotencyStore {
    @Override
    public Claim tryClaim(String scope, String key, String owner, Duration lease) {
      throw new IdempotencyStoreException("unreachable", null);
    }

    @Override
    public void markDone(String scope, String key, Duration retention) {
      throw new IdempotencyStoreException("unreachable", null);
    }

    @Override
    public void release(String scope, String key, String owner) {
      throw new IdempotencyStoreException("unreachable", null);
    }
  }
}
