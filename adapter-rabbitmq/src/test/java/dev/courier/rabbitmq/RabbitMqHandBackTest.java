package dev.courier.rabbitmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.Message;
import dev.courier.spi.ReceiveSpec;
import dev.courier.spi.Receiver;
import dev.courier.spi.TransportDelivery;
import dev.courier.testsupport.RabbitMqServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A message handed back (released, deferred, redelivered later) exists once, however soon after the
 * hand-back its receiver closes; on single-active-consumer queues a subscriber hand-over keeps the
 * queue's order.
 */
@DisplayName("RabbitMQ hand-back across a receiver's close")
class RabbitMqHandBackTest {
  private static final int N = 40;

  @AfterAll
  static void deleteQueues() {
    LeftoverQueues.deleteStartingWith("handback-" + LeftoverQueues.RUN + "-");
  }

  private final List<RabbitMqTransport> transports = new ArrayList<>();

  @AfterEach
  void close() {
    transports.forEach(RabbitMqTransport::close);
  }

  private RabbitMqTransport transport(boolean singleActiveConsumer) {
    RabbitMqTransport t = RabbitMqTransport.connect(RabbitMqSettings.builder().uri(RabbitMqServer.shared().uri())
        .connectionName("courier-test-handback").singleActiveConsumer(singleActiveConsumer).build());
    transports.add(t);
    return t;
  }

  private static String topic() {
    return "handback-" + LeftoverQueues.RUN + "-" + UUID.randomUUID();
  }

  private static void publish(RabbitMqTransport t, String topic, int count) throws Exception {
    List<CompletableFuture<Void>> sent = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      sent.add(t.send(topic, Message.builder().key("k").payload(Integer.toString(i).getBytes(StandardCharsets.UTF_8))
          .build()));
    }
    CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
  }

  private static int seq(TransportDelivery d) {
    return Integer.parseInt(new String(d.message().payload(), StandardCharsets.UTF_8));
  }

  private static TransportDelivery take(BlockingQueue<TransportDelivery> q) throws InterruptedException {
    TransportDelivery d = q.poll(15, TimeUnit.SECONDS);
    assertNotNull(d, "nothing arrived within 15 s");
    return d;
  }

  /**
   * Takes all N deliveries, hands each back with {@code handBack}, closes the receiver at once,
   * then counts what a new receiver gets until every message arrived and nothing more comes for
   * {@code quiet} afterwards.
   */
  private Map<Integer, List<Integer>> handBackThenClose(Consumer<TransportDelivery> handBack, Duration quiet)
      throws Exception {
    RabbitMqTransport t = transport(false);
    String topic = topic();
    t.ensureGroup(topic, "g");
    publish(t, topic, N);
    BlockingQueue<TransportDelivery> first = new LinkedBlockingQueue<>();
    Receiver r = t.receive(new ReceiveSpec(topic, "g", N, false), first::add);
    List<TransportDelivery> held = new ArrayList<>();
    for (int i = 0; i < N; i++) {
      held.add(take(first));
    }
    r.stopFetching();
    held.forEach(handBack);
    r.close();

    Map<Integer, List<Integer>> counts = new HashMap<>();
    BlockingQueue<TransportDelivery> second = new LinkedBlockingQueue<>();
    Receiver again = t.receive(new ReceiveSpec(topic, "g", N, false), second::add);
    try {
      while (counts.size() < N) {
        TransportDelivery d = take(second);
        counts.computeIfAbsent(seq(d), k -> new ArrayList<>()).add(d.deliveryCount());
        d.ack();
      }
      for (TransportDelivery d; (d = second.poll(quiet.toMillis(), TimeUnit.MILLISECONDS)) != null; ) {
        counts.computeIfAbsent(seq(d), k -> new ArrayList<>()).add(d.deliveryCount());
        d.ack();
      }
    } finally {
      again.close();
    }
    return counts;
  }

  private static void assertOnceEach(Map<Integer, List<Integer>> counts, int expectedCount) {
    List<String> multiplied = new ArrayList<>();
    counts.forEach((seq, attempts) -> {
      if (attempts.size() != 1) {
        multiplied.add(seq + "→" + attempts);
      }
    });
    assertTrue(multiplied.isEmpty(), multiplied.size() + " of " + N
        + " messages came back more than once (original beside its copy), as delivery counts: " + multiplied);
    counts.forEach((seq, attempts) -> assertEquals(expectedCount, attempts.get(0), "delivery count of message " + seq));
  }

  @Test
  @DisplayName("released deliveries whose receiver closes at once come back once each, uncounted")
  void releaseThenCloseLeavesOneCopy() throws Exception {
    assertOnceEach(handBackThenClose(TransportDelivery::release, Duration.ofSeconds(1)), 1);
  }

  @Test
  @DisplayName("deliveries nacked for later redelivery whose receiver closes at once come back once each, after the delay")
  void delayedNackThenCloseLeavesOneCopy() throws Exception {
    assertOnceEach(handBackThenClose(d -> d.nack(Duration.ofMillis(300)), Duration.ofSeconds(1)), 2);
  }

  @Test
  @DisplayName("deferred deliveries whose receiver closes at once come back once each, uncounted")
  void deferThenCloseLeavesOneCopy() throws Exception {
    assertOnceEach(handBackThenClose(d -> d.defer(Duration.ofMillis(300)), Duration.ofSeconds(1)), 1);
  }

  @Test
  @DisplayName("single active consumer: a subscriber hand-over keeps the queue's order, and attempts never go back")
  void singleActiveConsumerHandOverKeepsOrder() throws Exception {
    RabbitMqTransport t = transport(true);
    String topic = topic();
    t.ensureGroup(topic, "g");
    publish(t, topic, N);
    BlockingQueue<TransportDelivery> first = new LinkedBlockingQueue<>();
    Receiver a = t.receive(new ReceiveSpec(topic, "g", 5, true), first::add);
    List<TransportDelivery> held = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      held.add(take(first));
    }
    held.get(0).ack();
    held.get(1).ack();
    BlockingQueue<TransportDelivery> second = new LinkedBlockingQueue<>();
    Receiver b = t.receive(new ReceiveSpec(topic, "g", 5, true), second::add); // waits: a is active
    try {
      // What a closing subscription does: stop fetching, hand back what did not start, close.
      a.stopFetching();
      for (TransportDelivery d : held.subList(2, 5)) {
        d.release();
      }
      a.close();
      List<Integer> order = new ArrayList<>();
      int lastCount = 0;
      for (int expected = 2; expected < N; expected++) {
        TransportDelivery d = take(second);
        order.add(seq(d));
        assertEquals(expected, seq(d), "order after the hand-over: " + order);
        assertTrue(d.deliveryCount() >= 1, "delivery count " + d.deliveryCount());
        d.ack();
        lastCount = d.deliveryCount();
      }
      assertEquals(1, lastCount, "messages the first subscriber never held are first deliveries");
      assertEquals(null, second.poll(500, TimeUnit.MILLISECONDS), "a message came back twice");
    } finally {
      b.close();
    }
  }
}
