package dev.courier.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.Courier;
import dev.courier.Message;
import dev.courier.PublishException;
import dev.courier.RetryPolicy;
import dev.courier.Subscription;
import dev.courier.SubscriptionOptions;
import dev.courier.spi.Transport;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.search.Search;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** What the metrics report on any adapter; each adapter's test class supplies a transport and cleans up. */
abstract class MetricsContract {
  private static final long DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(20);
  private static final AtomicInteger SEQ = new AtomicInteger();

  SimpleMeterRegistry registry;
  Courier courier;
  String topic;
  final String group = "billing";

  /** A new transport on this adapter. */
  abstract Transport transport();

  /** A topic name unique to this test (and the adapter's system name, for the tags). */
  String uniqueTopic() {
    return "orders-" + SEQ.incrementAndGet() + "-" + System.nanoTime();
  }

  @BeforeEach
  void start() {
    registry = new SimpleMeterRegistry();
    courier = Courier.builder().transport(transport()).build();
    topic = uniqueTopic();
    courier.admin().ensureGroup(topic, group);
  }

  @AfterEach
  void stop() {
    courier.close();
  }

  static Message text(String s) {
    return Message.builder().payload(s.getBytes(StandardCharsets.UTF_8)).build();
  }

  static void await(BooleanSupplier condition, String what) {
    if (!dev.courier.testsupport.Poll.until(java.time.Duration.ofNanos(DEADLINE_NANOS), condition)) {
      throw new AssertionError("timed out waiting until " + what);
    }
  }

  private double outcome(String outcome) {
    Counter c = registry.find("courier.delivery.outcomes").tag("messaging.destination.name", topic)
        .tag("messaging.consumer.group.name", group).tag("courier.outcome", outcome).counter();
    return c == null ? 0 : c.count();
  }

  private Search consumer(String name) {
    return registry.find(name).tag("messaging.system", courier.adapter()).tag("messaging.destination.name", topic)
        .tag("messaging.consumer.group.name", group);
  }

  @Test
  @DisplayName("counts match the messages published, handled, retried, redelivered and dead-lettered")
  void countsMatch() throws Exception {
    CourierMetrics.builder(registry).backlogRefresh(Duration.ZERO).bind(courier);
    Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    RetryPolicy retry = RetryPolicy.builder().maxInProcessAttempts(2).maxDeliveries(2)
        .initialInterval(Duration.ZERO).maxInterval(Duration.ZERO)
        .redeliveryInitialDelay(Duration.ofMillis(10)).redeliveryMaxDelay(Duration.ofMillis(10)).build();
    try (Subscription s = courier.subscribe(SubscriptionOptions.builder(topic, group).retry(retry).build(), d -> {
      String body = new String(d.message().payload(), StandardCharsets.UTF_8);
      int n = calls.computeIfAbsent(body, b -> new AtomicInteger()).incrementAndGet();
      if (body.equals("bad") || (body.equals("flaky") && n == 1)) {
        throw new IllegalStateException(body + " fails");
      }
    })) {
      for (String body : new String[] {"ok-1", "ok-2", "flaky", "bad"}) {
        courier.publisher().publish(topic, text(body)).get(5, TimeUnit.SECONDS);
      }
      await(() -> outcome("acked") == 3 && outcome("dead_lettered") == 1, "3 acked, 1 dead-lettered");
      Gauge inFlight = consumer("courier.deliveries.in_flight").gauge();
      assertNotNull(inFlight, "an in-flight gauge per subscribed group");
      await(() -> inFlight.value() == 0, "nothing in flight once all are settled");
      Gauge backlog = consumer("courier.backlog").gauge();
      assertNotNull(backlog);
      await(() -> backlog.value() == 0.0, "the broker tells the backlog: all consumed");
    }
    // bad: 2 deliveries × 2 calls; flaky: 2 calls; ok: 1 call each
    assertEquals(3, outcome("acked"));
    assertEquals(3, outcome("retried"), "flaky once, bad once per delivery");
    assertEquals(1, outcome("redelivered"));
    assertEquals(1, outcome("dead_lettered"));
    assertEquals(5, consumer("messaging.client.consumed.messages").counter().count(), "4 messages + 1 redelivery");
    Timer ok = consumer("messaging.process.duration").tag("error.type", "none").timer();
    Timer failed = consumer("messaging.process.duration").tag("error.type", IllegalStateException.class.getName())
        .timer();
    assertEquals(3, ok.count());
    assertEquals(5, failed.count(), "flaky once, bad four times");
    Counter sent = registry.find("messaging.client.sent.messages").tag("messaging.destination.name", topic)
        .tag("error.type", "none").counter();
    assertEquals(4, sent.count(), "dead letters are the core's sends, not the application's publishes");
    assertEquals(4, registry.find("messaging.client.operation.duration").tag("messaging.destination.name", topic)
        .tag("messaging.operation.name", "publish").timer().count());
    assertNull(consumer("courier.deliveries.in_flight").gauge(), "the gauges go with the last subscription");
  }

  @Test
  @DisplayName("topics beyond the cardinality guard share the tag value _other")
  void cardinalityGuard() throws Exception {
    CourierMetrics.builder(registry).maxTopics(1).bind(courier);
    String second = uniqueTopic();
    courier.admin().ensureGroup(second, group);
    courier.publisher().publish(topic, text("a")).get(5, TimeUnit.SECONDS);
    courier.publisher().publish(second, text("b")).get(5, TimeUnit.SECONDS);
    String third = uniqueTopic();
    courier.admin().ensureGroup(third, group);
    courier.publisher().publish(third, text("c")).get(5, TimeUnit.SECONDS);
    // The meters count on the publish future's completion, which may run just after get() returned.
    await(() -> sent(topic) == 1 && sent("_other") == 2, "1 sent to the first topic, 2 to _other");
    assertEquals(2, registry.find("messaging.client.sent.messages").counters().size());
  }

  @Test
  @DisplayName("a subscription made before bind gets its gauges too, and loses them when it closes")
  void gaugesForSubscriptionsMadeBeforeBind() {
    try (Subscription s = courier.subscribe(SubscriptionOptions.builder(topic, group).build(), d -> {})) {
      CourierMetrics.builder(registry).backlogRefresh(Duration.ZERO).bind(courier);
      assertNotNull(consumer("courier.deliveries.in_flight").gauge(), "an in-flight gauge for the earlier subscription");
      assertNotNull(consumer("courier.backlog").gauge(), "a backlog gauge for the earlier subscription");
    }
    assertNull(consumer("courier.deliveries.in_flight").gauge(), "the gauges go with the last subscription");
  }

  private double sent(String destination) {
    var counter = registry.find("messaging.client.sent.messages").tag("messaging.destination.name", destination)
        .counter();
    return counter == null ? 0 : counter.count();
  }
}
