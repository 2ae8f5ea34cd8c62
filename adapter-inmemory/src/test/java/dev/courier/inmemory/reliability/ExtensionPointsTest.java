package dev.courier.inmemory.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.Courier;
import dev.courier.CourierListener;
import dev.courier.CourierMdc;
import dev.courier.Delivery;
import dev.courier.Message;
import dev.courier.PayloadTooLargeException;
import dev.courier.PublishException;
import dev.courier.Subscription;
import dev.courier.inmemory.InMemoryTransport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

@DisplayName("Interceptors, listeners, MDC and handler threads on the in-memory adapter")
class ExtensionPointsTest extends ReliabilityFixture {

  @Test
  @DisplayName("delivery interceptors wrap every handler call in registration order, on the handler's thread")
  void deliveryInterceptorOrder() throws Exception {
    List<String> trace = new CopyOnWriteArrayList<>();
    courier.addDeliveryInterceptor((d, next) -> {
      trace.add("outer>" + d.attempt() + ":" + Thread.currentThread().getName());
      try {
        next.handle(d);
      } finally {
        trace.add("outer<" + d.attempt());
      }
    });
    courier.addDeliveryInterceptor((d, next) -> {
      trace.add("inner>" + d.attempt());
      next.handle(d); // what the handler throws passes through
      trace.add("inner<" + d.attempt());
    });
    AtomicInteger calls = new AtomicInteger();
    try (Subscription s = courier.subscribe(options(fastRetry().maxInProcessAttempts(2).build()).build(), d -> {
      trace.add("handler:" + Thread.currentThread().getName());
      if (calls.incrementAndGet() == 1) {
        throw new IllegalStateException("first call fails");
      }
    })) {
      publish(text("a"));
      await(() -> events.count("acked") == 1, "the second attempt is acked");
    }
    String thread = trace.get(2).substring("handler:".length());
    assertEquals(List.of("outer>1:" + thread, "inner>1", "handler:" + thread, "outer<1",
        "outer>2:" + thread, "inner>2", "handler:" + thread, "inner<2", "outer<2"), trace);
    assertTrue(thread.startsWith("courier-" + topic + "-" + group), thread);
  }

  @Test
  @DisplayName("interceptors given to the builder run outside those added to the built Courier, in the order given")
  void builderThenAdded() throws Exception {
    List<String> trace = new CopyOnWriteArrayList<>();
    try (Courier own = Courier.builder().transport(InMemoryTransport.create())
        .deliveryInterceptor((d, next) -> {
          trace.add("built-1");
          next.handle(d);
        })
        .deliveryInterceptor((d, next) -> {
          trace.add("built-2");
          next.handle(d);
        })
        .publishInterceptor((t, m, next) -> {
          trace.add("publish-built");
          return next.publish(m);
        })
        .build()) {
      own.addDeliveryInterceptor((d, next) -> {
        trace.add("added");
        next.handle(d);
      });
      own.addPublishInterceptor((t, m, next) -> {
        trace.add("publish-added");
        return next.publish(m);
      });
      own.admin().ensureGroup(topic, group);
      CountDownLatch handled = new CountDownLatch(1);
      try (Subscription s = own.subscribe(options(fastRetry().build()).build(), d -> {
        trace.add("handler");
        handled.countDown();
      })) {
        own.publisher().publish(topic, text("a")).get(5, TimeUnit.SECONDS);
        assertTrue(handled.await(DEADLINE.toSeconds(), TimeUnit.SECONDS));
      }
    }
    assertEquals(List.of("publish-built", "publish-added", "built-1", "built-2", "added", "handler"), trace);
  }

  @Test
  @DisplayName("an interceptor that throws fails the attempt like the handler would")
  void throwingInterceptor() throws Exception {
    courier.addDeliveryInterceptor((d, next) -> {
      throw new IllegalArgumentException("interceptor refuses");
    });
    AtomicInteger calls = new AtomicInteger();
    try (Subscription s = courier.subscribe(options(fastRetry().maxInProcessAttempts(1).maxDeliveries(1).build())
        .build(), d -> calls.incrementAndGet())) {
      publish(text("a"));
      await(() -> events.count("deadLettered") == 1, "the message is dead-lettered");
    }
    assertEquals(0, calls.get());
    assertTrue(events.events.contains("deadLettered:1:IllegalArgumentException"), events.events.toString());
  }

  @Test
  @DisplayName("the MDC holds message id, topic, group and attempt while the handler runs, and is cleared after")
  void mdc() throws Exception {
    Map<String, String> inHandler = new ConcurrentHashMap<>();
    Map<String, String> inInterceptor = new ConcurrentHashMap<>();
    AtomicReference<Map<String, String>> afterCall = new AtomicReference<>();
    courier.addDeliveryInterceptor((d, next) -> {
      inInterceptor.put("id", String.valueOf(MDC.get(CourierMdc.MESSAGE_ID)));
      next.handle(d);
    });
    courier.addListener(new CourierListener() {
      @Override
      public void acked(Delivery delivery, Duration handlerTime) { // on the handler's thread, after the call
        Map<String, String> m = MDC.getCopyOfContextMap();
        afterCall.set(m == null ? Map.of() : m);
      }
    });
    try (Subscription s = courier.subscribe(options(fastRetry().build()).build(), d -> {
      inHandler.put("id", MDC.get(CourierMdc.MESSAGE_ID));
      inHandler.put("topic", MDC.get(CourierMdc.TOPIC));
      inHandler.put("group", MDC.get(CourierMdc.GROUP));
      inHandler.put("attempt", MDC.get(CourierMdc.ATTEMPT));
    })) {
      publish(Message.builder().id("order-7").payload(new byte[] {1}).build());
      await(() -> afterCall.get() != null, "the message is acked");
    }
    assertEquals(Map.of("id", "order-7", "topic", topic, "group", group, "attempt", "1"), inHandler);
    assertEquals("order-7", inInterceptor.get("id"), "interceptors run inside the MDC");
    assertEquals(Map.of(), afterCall.get(), "nothing left in the MDC after the call");
  }

  @Test
  @DisplayName("handlerMdc(false) leaves the MDC alone")
  void mdcOff() throws Exception {
    try (Courier own = Courier.builder().transport(InMemoryTransport.create()).handlerMdc(false).build()) {
      own.admin().ensureGroup(topic, group);
      AtomicReference<String> seen = new AtomicReference<>("unset");
      CountDownLatch handled = new CountDownLatch(1);
      try (Subscription s = own.subscribe(options(fastRetry().build()).build(), d -> {
        seen.set(MDC.get(CourierMdc.MESSAGE_ID));
        handled.countDown();
      })) {
        own.publisher().publish(topic, text("a")).get(5, TimeUnit.SECONDS);
        assertTrue(handled.await(DEADLINE.toSeconds(), TimeUnit.SECONDS));
      }
      assertNull(seen.get());
    }
  }

  @Test
  @DisplayName("handler threads come from the injected thread factory")
  void threadFactory() throws Exception {
    AtomicInteger made = new AtomicInteger();
    try (Courier own = Courier.builder().transport(InMemoryTransport.create()).handlerThreadFactory(r -> {
      Thread t = new Thread(r, "billing-worker-" + made.incrementAndGet());
      t.setDaemon(true);
      return t;
    }).build()) {
      own.admin().ensureGroup(topic, group);
      AtomicReference<String> thread = new AtomicReference<>();
      CountDownLatch handled = new CountDownLatch(1);
      try (Subscription s = own.subscribe(options(fastRetry().build()).concurrency(3).build(), d -> {
        thread.set(Thread.currentThread().getName());
        handled.countDown();
      })) {
        own.publisher().publish(topic, text("a")).get(5, TimeUnit.SECONDS);
        assertTrue(handled.await(DEADLINE.toSeconds(), TimeUnit.SECONDS));
      }
      assertEquals(3, made.get(), "one thread per handler slot");
      assertTrue(thread.get().startsWith("billing-worker-"), thread.get());
    }
  }

  @Test
  @DisplayName("publish interceptors run in registration order, add headers before validation and see the outcome")
  void publishInterceptors() throws Exception {
    List<String> trace = new CopyOnWriteArrayList<>();
    List<String> outcomes = new CopyOnWriteArrayList<>();
    courier.addPublishInterceptor((t, m, next) -> {
      trace.add("first:" + m.headers().get("hop").orElse("-"));
      CompletableFuture<Void> f = next.publish(m.withHeader("hop", "1"));
      f.whenComplete((v, e) -> outcomes.add(e == null ? "confirmed" : "failed:" + e.getClass().getSimpleName()));
      return f;
    });
    courier.addPublishInterceptor((t, m, next) -> {
      trace.add("second:" + m.headers().get("hop").orElse("-"));
      return next.publish(m.withHeader("hop", m.headers().get("hop").orElse("") + "2"));
    });
    List<String> seen = new CopyOnWriteArrayList<>();
    try (Subscription s = courier.subscribe(options(fastRetry().build()).build(),
        d -> seen.add(d.message().headers().get("hop").orElse("-")))) {
      publish(text("a"));
      courier.publisher().publishAll(topic, List.of(text("b"), text("c"))).get(5, TimeUnit.SECONDS);
      courier.publisher().publishDelayed(topic, text("d"), Duration.ofMillis(1)).get(5, TimeUnit.SECONDS);
      await(() -> seen.size() == 4, "all four are handled");
    }
    assertEquals(List.of("12", "12", "12", "12"), seen, "the second interceptor saw the first one's header");
    assertEquals(List.of("first:-", "second:1", "first:-", "second:1", "first:-", "second:1", "first:-", "second:1"),
        trace);
    assertEquals(List.of("confirmed", "confirmed", "confirmed", "confirmed"), outcomes);

    // A header added by an interceptor is validated: over the limit, nothing is sent and the caller sees why;
    // in a batch, the messages that passed their chains see the batch's rejection.
    int tooLong = transport.capabilities().maxHeaderValueBytes() + 1;
    courier.addPublishInterceptor((t, m, next) ->
        next.publish(m.id().equals("big") ? m.withHeader("big", "x".repeat(tooLong)) : m));
    Message big = Message.builder().id("big").payload(new byte[] {1}).build();
    assertThrows(PayloadTooLargeException.class, () -> courier.publisher().publish(topic, big));
    assertThrows(PayloadTooLargeException.class, () -> courier.publisher().publishAll(topic, List.of(text("f"), big)));
    assertEquals(List.of("confirmed", "confirmed", "confirmed", "confirmed", "failed:PayloadTooLargeException"),
        outcomes);
  }

  @Test
  @DisplayName("a publish the broker refuses reaches the interceptors' future and every listener's publishFailed")
  void publishFailed() throws Exception {
    List<String> failed = new CopyOnWriteArrayList<>();
    AtomicReference<Throwable> seenByInterceptor = new AtomicReference<>();
    courier.addPublishInterceptor((t, m, next) -> next.publish(m).whenComplete((v, e) -> seenByInterceptor.set(e)));
    courier.addListener(new CourierListener() {
      @Override
      public void publishFailed(String t, Message m, Throwable failure) {
        throw new IllegalStateException("a broken listener must not silence the next one");
      }
    });
    courier.addListener(new CourierListener() {
      @Override
      public void publishFailed(String t, Message m, Throwable failure) {
        failed.add(t + ":" + m.id() + ":" + failure.getClass().getSimpleName());
      }
    });
    transport.failSendsTo.add(topic);
    Message m = text("refused");
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> courier.publisher().publish(topic, m).get(5, TimeUnit.SECONDS));
    assertInstanceOf(PublishException.class, e.getCause());
    await(() -> failed.size() == 1, "the failure is reported");
    assertEquals(List.of(topic + ":" + m.id() + ":PublishException"), failed);
    assertInstanceOf(PublishException.class, seenByInterceptor.get());
  }

  @Test
  @DisplayName("a publish the broker never confirms is reported as failed once its publish timeout passes")
  void publishTimedOut() throws Exception {
    FaultyTransport hanging = new FaultyTransport(InMemoryTransport.create());
    hanging.hangSendsTo.add(topic);
    List<String> failed = new CopyOnWriteArrayList<>();
    try (Courier own = Courier.builder().transport(hanging).publishTimeout(Duration.ofMillis(100))
        .listener(new CourierListener() {
          @Override
          public void publishFailed(String t, Message m, Throwable failure) {
            failed.add(m.id() + ":" + failure.getClass().getSimpleName());
          }
        }).build()) {
      Message m = text("never confirmed");
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> own.publisher().publish(topic, m).get(5, TimeUnit.SECONDS));
      assertInstanceOf(PublishException.class, e.getCause());
      await(() -> !failed.isEmpty(), "the timeout is reported");
      assertEquals(List.of(m.id() + ":PublishException"), failed);
    }
  }

  @Test
  @DisplayName("closing during a handler call ends its delivery with released(CLOSING), balancing the events")
  void releasedOnClose() throws Exception {
    CountDownLatch inHandler = new CountDownLatch(1);
    List<String> subscriptions = new ArrayList<>();
    courier.addListener(new CourierListener() {
      @Override
      public void subscribed(Subscription s) {
        subscriptions.add("subscribed:" + s.topic());
      }

      @Override
      public void unsubscribed(Subscription s) {
        subscriptions.add("unsubscribed:" + s.topic());
      }
    });
    Subscription s = courier.subscribe(options(fastRetry().build()).drainTimeout(Duration.ofMillis(50)).build(), d -> {
      inHandler.countDown();
      new CountDownLatch(1).await(60, TimeUnit.SECONDS); // never counted down: interrupted by close
    });
    publish(text("slow"));
    assertTrue(inHandler.await(DEADLINE.toSeconds(), TimeUnit.SECONDS));
    s.close(); // the handler outlives the drain timeout: interrupted, its delivery handed back
    await(() -> !events.released.isEmpty(), "the interrupted call's delivery is released");
    assertEquals(List.of("CLOSING:1"), events.released);
    assertEquals(0, events.count("redelivered") + events.count("acked") + events.count("deadLettered"));
    assertEquals(List.of("subscribed:" + topic, "unsubscribed:" + topic), subscriptions);
    events.assertBalanced();
  }

  @Test
  @DisplayName("a publish interceptor that returns without calling next fails the publish: nothing is confirmed that was not sent")
  void publishInterceptorSkippingNext() throws Exception {
    courier.addPublishInterceptor((t, m, next) -> CompletableFuture.completedFuture(null));
    assertThrows(IllegalStateException.class, () -> courier.publisher().publish(topic, text("a")));
    assertThrows(IllegalStateException.class,
        () -> courier.publisher().publishDelayed(topic, text("b"), Duration.ofMillis(1)));
    assertEquals(0L, courier.admin().backlog(topic, group).orElseThrow(), "something was sent");
  }

  @Test
  @DisplayName("a delivery interceptor that skips next, or swallows the handler's failure, fails the delivery instead of acking it")
  void deliveryInterceptorBreakingItsContract() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    courier.addDeliveryInterceptor((d, next) -> {
      if (new String(d.message().payload(), java.nio.charset.StandardCharsets.UTF_8).equals("skip")) {
        return; // never calls the handler
      }
      try {
        next.handle(d);
      } catch (Exception swallowed) {
        // breaks the contract: the handler failed
      }
    });
    try (Subscription s = courier.subscribe(options(fastRetry().maxInProcessAttempts(1).maxDeliveries(1).build())
        .build(), d -> {
          calls.incrementAndGet();
          throw new IllegalArgumentException("handler fails");
        })) {
      publish(text("skip"));
      publish(text("swallow"));
      await(() -> events.count("deadLettered") == 2, "both messages dead-lettered");
    }
    assertEquals(0, events.count("acked"), "a message was acked that the handler never took");
    assertEquals(1, calls.get());
  }

  @Test
  @DisplayName("a listener throwing an Error (a library version clash) is ignored: the delivery ends in one terminal event")
  void listenerThrowingError() throws Exception {
    courier.addListener(new CourierListener() {
      @Override
      public void acked(Delivery delivery, Duration handlerTime) {
        throw new NoClassDefFoundError("io/micrometer/core/instrument/Timer");
      }
    });
    CountDownLatch handled = new CountDownLatch(1);
    try (Subscription s = courier.subscribe(options(fastRetry().build()).build(), d -> handled.countDown())) {
      publish(text("a"));
      assertTrue(handled.await(DEADLINE.toSeconds(), TimeUnit.SECONDS));
      await(() -> events.count("acked") == 1, "the delivery acked");
    }
    assertTrue(events.released.isEmpty(), "the acked delivery also ended as released: " + events.released);
  }

  @Test
  @DisplayName("a handler thread factory that returns null or throws does not cost a handler: Courier's own thread takes over")
  void refusingThreadFactory() throws Exception {
    AtomicInteger asked = new AtomicInteger();
    try (Courier own = Courier.builder().transport(InMemoryTransport.create()).handlerThreadFactory(r -> {
      if (asked.incrementAndGet() % 2 == 0) {
        throw new IllegalStateException("pool exhausted");
      }
      return null;
    }).build()) {
      own.admin().ensureGroup(topic, group);
      CountDownLatch handled = new CountDownLatch(2);
      try (Subscription s = own.subscribe(options(fastRetry().build()).concurrency(2).build(),
          d -> handled.countDown())) {
        own.publisher().publish(topic, text("a")).get(5, TimeUnit.SECONDS);
        own.publisher().publish(topic, text("b")).get(5, TimeUnit.SECONDS);
        assertTrue(handled.await(DEADLINE.toSeconds(), TimeUnit.SECONDS), "messages were not handled");
      }
    }
    assertTrue(asked.get() >= 2);
  }

  @Test
  @DisplayName("a batch the adapter refuses outright reaches every listener's publishFailed, once per message")
  void refusedBatchIsReported() {
    transport.throwOnBatchTo.add(topic);
    CompletableFuture<Void> f = courier.publisher().publishAll(topic, List.of(text("a"), text("b"), text("c")));
    assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
    assertEquals(3, events.count("publishFailed"));
  }
}
