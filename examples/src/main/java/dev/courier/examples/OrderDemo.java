package dev.courier.examples;

import dev.courier.Codec;
import dev.courier.Codecs;
import dev.courier.Courier;
import dev.courier.CourierHeaders;
import dev.courier.DeadLetters;
import dev.courier.Message;
import dev.courier.RetryPolicy;
import dev.courier.SubscriptionOptions;
import dev.courier.config.CourierConfig;
import dev.courier.examples.DemoStats.Event;
import dev.courier.micrometer.CourierMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The founding use case: an API-like producer places orders; the {@code payment},
 * {@code inventory} and {@code email} groups each consume every order concurrently. Some payments
 * fail transiently (the gateway times out twice) and are retried; one card is always declined, so
 * that order ends in payment's dead-letter topic. Runs on the in-memory broker unless
 * {@code COURIER_BROKER} (or {@code -Dcourier.broker}) names another adapter.
 */
public final class OrderDemo {
  static final String TOPIC = "orders";
  static final List<String> GROUPS = List.of("payment", "inventory", "email");
  static final String DECLINED_CARD = "0002";
  private static final Codec<Order> ORDERS = Codecs.json(Order.class);

  private OrderDemo() {}

  public static void main(String[] args) {
    int orders = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    try {
      Summary summary = run(DemoBrokers.withLocalBroker(CourierConfig.load(), System.out), orders, System.out);
      System.exit(summary.complete() ? 0 : 1);
    } catch (dev.courier.ConfigurationException e) {
      System.err.println("configuration error: " + e.getMessage());
      System.exit(2);
    }
  }

  /** What the demo observed; {@link #complete()} when every group settled every order. */
  record Summary(String adapter, int placed, Map<String, Long> handled, Map<String, Long> retried,
      Map<String, Long> redelivered, Map<String, Long> deadLettered, java.util.OptionalLong deadLettersWaiting) {
    boolean complete() {
      return GROUPS.stream().allMatch(g -> handled.get(g) + deadLettered.get(g) >= placed);
    }
  }

  static Summary run(CourierConfig loaded, int orderCount, PrintStream out) {
    CourierConfig config = loaded.broker().isPresent() ? loaded
        : CourierConfig.builder().set(CourierConfig.BROKER, "inmemory").build();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    DemoStats stats = new DemoStats(registry);
    Map<String, AtomicInteger> gatewayCalls = new ConcurrentHashMap<>();
    try (Courier courier = Courier.builder().config(config).build()) {
      CourierMetrics.bind(courier, registry); // the summary below is read from the registry
      out.printf("Courier order demo on the '%s' broker: %d orders, groups %s%n",
          courier.adapter(), orderCount, GROUPS);
      // Provision first, so no group misses an order published before it subscribes.
      for (String group : GROUPS) {
        courier.admin().ensureGroup(TOPIC, group);
      }
      RetryPolicy retry = RetryPolicy.builder()
          .maxInProcessAttempts(3).initialInterval(Duration.ofMillis(10)).maxInterval(Duration.ofMillis(50))
          .maxDeliveries(3).redeliveryInitialDelay(Duration.ofMillis(100)).redeliveryMaxDelay(Duration.ofMillis(400))
          .build();
      courier.subscribe(SubscriptionOptions.builder(TOPIC, "payment").concurrency(4).retry(retry).build(), d -> {
        Order order = d.payload(ORDERS);
        if (DECLINED_CARD.equals(order.cardNumberLast4())) {
          throw new IllegalStateException("card ending " + order.cardNumberLast4() + " declined");
        }
        int calls = gatewayCalls.computeIfAbsent(order.orderId(), id -> new AtomicInteger()).incrementAndGet();
        if (Long.parseLong(order.orderId().substring(6)) % 10 == 3 && calls <= 2) {
          throw new java.util.concurrent.TimeoutException("payment gateway timed out for " + order.orderId());
        }
      });
      courier.subscribe(SubscriptionOptions.builder(TOPIC, "inventory").concurrency(4).retry(retry).build(),
          d -> d.payload(ORDERS));
      courier.subscribe(SubscriptionOptions.builder(TOPIC, "email").concurrency(2).retry(retry).build(),
          d -> d.payload(ORDERS));

      List<Message> batch = new ArrayList<>(orderCount);
      for (int i = 1; i <= orderCount; i++) {
        String card = i == 7 ? DECLINED_CARD : String.format("%04d", 1000 + i % 9000);
        Order order = new Order(String.format("order-%05d", i), "customer-" + (i % 17), 1_000L + i, card);
        batch.add(Message.builder().id(order.orderId()).key(order.customer()).payload(order, ORDERS).build());
      }
      courier.publisher().publishAll(TOPIC, batch).join(); // completes once the broker confirmed all
      out.printf("placed %d orders (all confirmed by the broker)%n", orderCount);

      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (!GROUPS.stream().allMatch(g -> stats.settled(g) >= orderCount) && System.nanoTime() < deadline) {
        Thread.sleep(20); // polling a summary for display, not synchronizing a test
      }
      DeadLetters dlq = courier.admin().deadLetters(TOPIC, "payment");
      java.util.OptionalLong waiting = dlq.count(); // empty where the broker cannot count
      Summary s = new Summary(courier.adapter(), orderCount,
          perGroup(stats, Event.HANDLED), perGroup(stats, Event.RETRIED),
          perGroup(stats, Event.REDELIVERED), perGroup(stats, Event.DEAD_LETTERED), waiting);
      print(s, out);
      if (courier.capabilities().has(dev.courier.Capability.PEEK)) {
        for (Message m : dlq.peek(5)) {
          out.printf("  dead letter %s: %s after %s attempts%n", m.id(),
              m.headers().get(CourierHeaders.DLQ_EXCEPTION_MESSAGE).orElse("?"),
              m.headers().get(CourierHeaders.DLQ_ATTEMPTS).orElse("?"));
        }
      }
      return s;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static Map<String, Long> perGroup(DemoStats stats, Event event) {
    Map<String, Long> m = new java.util.LinkedHashMap<>();
    for (String g : GROUPS) {
      m.put(g, stats.get(g, event));
    }
    return m;
  }

  private static void print(Summary s, PrintStream out) {
    out.println();
    out.printf("%-10s %8s %8s %12s %14s%n", "group", "handled", "retried", "redelivered", "dead-lettered");
    for (String g : GROUPS) {
      out.printf("%-10s %8d %8d %12d %14d%n", g, s.handled().get(g), s.retried().get(g),
          s.redelivered().get(g), s.deadLettered().get(g));
    }
    out.printf("%norders placed: %d; dead letters waiting in %s.payment.dlq: %s; %s%n", s.placed(), TOPIC,
        s.deadLettersWaiting().isPresent() ? Long.toString(s.deadLettersWaiting().getAsLong()) : "unknown", s.complete() ? "every group settled every order" : "INCOMPLETE: some orders were not settled in time");
  }
}
