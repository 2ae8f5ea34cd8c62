package dev.courier.kafka;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.Courier;
import dev.courier.Message;
import dev.courier.Subscription;
import dev.courier.SubscriptionOptions;
import dev.courier.testsupport.Poll;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Kafka consumer groups through Courier: parallelism beyond partitions, rebalances, broker restarts")
class KafkaConsumerGroupTest {
  private static final String SEQ = "seq";

  private static String unique(String purpose) {
    return "kc-" + purpose + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static Courier courier(int partitions) {
    return Courier.fromConfig(KafkaTestSupport.config().set("courier.kafka.partitions", Integer.toString(partitions)).build());
  }


  private static Set<String> missing(Set<String> expected, Set<String> seen) {
    Set<String> m = new HashSet<>(expected);
    m.removeAll(seen);
    return m;
  }

  @Test
  @DisplayName("with concurrency 16 on a 2-partition topic, handlers run in parallel across keys while each key stays in order, one at a time")
  void keyOrderWithMoreThreadsThanPartitions() {
    try (Courier courier = courier(2)) {
      String topic = unique("order");
      String group = unique("g");
      courier.admin().ensureGroup(topic, group);
      Map<String, AtomicInteger> active = new ConcurrentHashMap<>();
      Map<String, Integer> next = new ConcurrentHashMap<>();
      List<String> violations = Collections.synchronizedList(new ArrayList<>());
      AtomicInteger running = new AtomicInteger();
      AtomicInteger maxRunning = new AtomicInteger();
      Set<String> done = ConcurrentHashMap.newKeySet();
      courier.subscribe(SubscriptionOptions.builder(topic, group).concurrency(16).maxInFlight(256).orderedByKey(true).build(), d -> {
        String key = d.message().key().orElseThrow();
        int seq = Integer.parseInt(d.message().headers().get(SEQ).orElseThrow());
        maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
        if (active.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet() > 1) {
          violations.add("key " + key + " ran twice at once");
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
        int expected = next.getOrDefault(key, 0);
        // A Kafka re-read after a rebalance legitimately delivers a handled record again: only a
        // first delivery out of sequence is an ordering violation.
        if (!done.contains(d.message().id()) && seq != expected) {
          violations.add("key " + key + ": #" + seq + " ran when #" + expected + " was due");
        }
        next.merge(key, seq + 1, Math::max);
        active.get(key).decrementAndGet();
        running.decrementAndGet();
        done.add(d.message().id());
      });
      Set<String> expected = new HashSet<>();
      List<CompletableFuture<Void>> sent = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        for (int k = 0; k < 32; k++) {
          Message m = Message.builder().key("key-" + k).header(SEQ, Integer.toString(i)).payload(new byte[16]).build();
          expected.add(m.id());
          sent.add(courier.publisher().publish(topic, m));
        }
      }
      CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).join();
      assertTrue(Poll.until(Duration.ofSeconds(30), () -> done.containsAll(expected)),
          missing(expected, done).size() + " of " + expected.size() + " messages never handled");
      assertTrue(violations.isEmpty(), violations.size() + " ordering violations, e.g. " + violations.stream().limit(3).toList());
      assertTrue(maxRunning.get() > 2, "at most " + maxRunning.get()
          + " handlers ran at once: no parallelism beyond the 2 partitions");
    }
  }

  @Test
  @DisplayName("consumers joining and leaving while messages flow lose nothing, and duplicate only around the rebalances")
  void rebalanceWhileFlowing() throws Exception {
    String topic = unique("rebalance");
    String group = unique("g");
    int total = 3000;
    int maxInFlight = 32;
    Map<String, AtomicInteger> handled = new ConcurrentHashMap<>();
    Set<String> expected = ConcurrentHashMap.newKeySet();
    MessageCounter counter = new MessageCounter(handled);
    SubscriptionOptions options = SubscriptionOptions.builder(topic, group).concurrency(4).maxInFlight(maxInFlight)
        .drainTimeout(Duration.ofSeconds(10)).build();
    try (Courier publisherSide = courier(4)) {
      publisherSide.admin().ensureGroup(topic, group);
      Courier a = courier(4);
      Courier b = courier(4);
      Courier c = courier(4);
      try {
        a.subscribe(options, counter::handle);
        Thread publisher = new Thread(() -> {
          for (int i = 0; i < total; i++) {
            Message m = Message.builder().key("k" + (i % 50)).payload(new byte[64]).build();
            expected.add(m.id());
            publisherSide.publisher().publish(topic, m).join();
            if (i % 100 == 0) {
              LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
            }
          }
        });
        publisher.start();
        assertTrue(Poll.until(Duration.ofSeconds(60), () -> handled.size() > 300), "the first consumer handled too little");
        Subscription sb = b.subscribe(options, counter::handle); // join: rebalance 1
        assertTrue(Poll.until(Duration.ofSeconds(60), () -> handled.size() > 900), "progress stalled after b joined");
        c.subscribe(options, counter::handle); // join: rebalance 2
        assertTrue(Poll.until(Duration.ofSeconds(60), () -> handled.size() > 1500), "progress stalled after c joined");
        a.close(); // leave: rebalance 3
        assertTrue(Poll.until(Duration.ofSeconds(60), () -> handled.size() > 2100), "progress stalled after a left");
        sb.close(); // leave: rebalance 4
        publisher.join(60_000);
        assertTrue(Poll.until(Duration.ofSeconds(30), () -> handled.keySet().containsAll(expected)),
            missing(expected, handled.keySet()).size() + " of " + total + " messages were lost across the rebalances");
        int duplicates = handled.values().stream().mapToInt(n -> n.get() - 1).sum();
        // Each of the 4 rebalances may hand each consumer's unsettled window to a new owner, at most.
        assertTrue(duplicates <= 4 * 3 * maxInFlight, duplicates + " duplicates; more than the rebalances can explain");
      } finally {
        a.close();
        b.close();
        c.close();
      }
    }
  }

  /** Counts handler calls per message id, with a small handler cost so that rebalances find work in flight. */
  private record MessageCounter(Map<String, AtomicInteger> handled) {
    void handle(dev.courier.Delivery d) {
      LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(500));
      handled.computeIfAbsent(d.message().id(), k -> new AtomicInteger()).incrementAndGet();
    }
  }

  @Test
  @DisplayName("a broker restart while a backlog is being consumed loses no confirmed message")
  void brokerRestartMidStream() {
    try (Courier courier = courier(2)) {
      String topic = unique("restart");
      String group = unique("g");
      courier.admin().ensureGroup(topic, group);
      Set<String> expected = new HashSet<>();
      List<CompletableFuture<Void>> sent = new ArrayList<>();
      for (int i = 0; i < 600; i++) {
        Message m = Message.of(new byte[32]);
        expected.add(m.id());
        sent.add(courier.publisher().publish(topic, m));
      }
      CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).join();
      Set<String> done = ConcurrentHashMap.newKeySet();
      courier.subscribe(SubscriptionOptions.builder(topic, group).concurrency(2).build(), d -> {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(3));
        done.add(d.message().id());
      });
      assertTrue(Poll.until(Duration.ofSeconds(20), () -> done.size() >= 100), "consumption did not start");
      KafkaTestSupport.broker().stop();
      KafkaTestSupport.broker().start();
      assertTrue(Poll.until(Duration.ofSeconds(60), () -> done.containsAll(expected)),
          missing(expected, done).size() + " of 600 messages were lost across the broker restart");
    }
  }
}
