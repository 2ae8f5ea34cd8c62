package dev.courier.rabbitmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import dev.courier.Message;
import dev.courier.PublishException;
import dev.courier.spi.ReceiveSpec;
import dev.courier.spi.Receiver;
import dev.courier.spi.TransportDelivery;
import dev.courier.testsupport.RabbitMqServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("RabbitMQ transport against the shared server")
class RabbitMqTransportTest {
  @org.junit.jupiter.api.AfterAll
  static void deleteQueues() {
    LeftoverQueues.deleteStartingWith("test-" + LeftoverQueues.RUN + "-");
  }

  private final List<String> topics = new ArrayList<>();
  private final List<String> queues = new ArrayList<>();
  private RabbitMqTransport transport;

  @BeforeEach
  void connect() {
    transport = RabbitMqTransport.connect(settings().build());
  }

  @AfterEach
  void cleanUp() throws Exception {
    transport.close();
    var f = RabbitMqTransport.connectionFactory(settings().build());
    try (Connection c = f.newConnection("courier-test-cleanup"); Channel ch = c.createChannel()) {
      for (String q : queues) {
        ch.queueDelete(q);
      }
      for (String t : topics) {
        ch.exchangeDelete(t);
      }
    }
  }

  private static RabbitMqSettings.Builder settings() {
    return RabbitMqSettings.builder().uri(RabbitMqServer.shared().uri()).connectionName("courier-test");
  }

  private String topic() {
    String t = "test-" + LeftoverQueues.RUN + "-" + UUID.randomUUID();
    topics.add(t);
    return t;
  }

  private String group(String topic, String group) {
    queues.add(topic + ":" + group);
    return group;
  }

  private static <T> T poll(BlockingQueue<T> q) throws InterruptedException {
    T t = q.poll(10, TimeUnit.SECONDS);
    assertNotNull(t, "nothing arrived within 10 s");
    return t;
  }

  @Test
  @DisplayName("declaring a topic and group again, from another connection too, is idempotent and keeps the messages")
  void redeclarationIsIdempotent() throws Exception {
    String topic = topic();
    String group = group(topic, "g");
    transport.ensureGroup(topic, group);
    transport.send(topic, Message.of(new byte[] {1})).get(10, TimeUnit.SECONDS);
    transport.ensureTopic(topic);
    transport.ensureGroup(topic, group);
    try (RabbitMqTransport other = RabbitMqTransport.connect(settings().build())) {
      other.ensureTopic(topic);
      other.ensureGroup(topic, group);
      other.ensureGroup(topic, group);
      assertEquals(1, other.backlog(topic, group).getAsLong(), "the message published before re-declaring is still there");
    }
  }

  @Test
  @DisplayName("a publish to a topic without any group fails as unroutable, naming ensureGroup")
  void unroutablePublishFails() {
    String topic = topic();
    CompletableFuture<Void> f = transport.send(topic, Message.of(new byte[] {1}));
    ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
    assertInstanceOf(PublishException.class, e.getCause());
    assertTrue(e.getCause().getMessage().contains("unroutable") && e.getCause().getMessage().contains("ensureGroup"),
        e.getCause().getMessage());
  }

  @Test
  @DisplayName("the same message published to a topic without groups and to one with a group, both in flight: only the"
      + " unroutable publish fails, whichever goes first")
  void returnFailsOnlyItsOwnPublishOfAnId() throws Exception {
    String routable = topic();
    transport.ensureGroup(routable, group(routable, "g"));
    String unroutable = topic();
    transport.ensureTopic(unroutable);
    Message m = Message.of(new byte[] {1});
    for (int round = 0; round < 3; round++) {
      CompletableFuture<Void> lost = transport.send(unroutable, m);
      CompletableFuture<Void> kept = transport.send(routable, m);
      CompletableFuture<Void> lostAfter = transport.send(unroutable, m);
      kept.get(10, TimeUnit.SECONDS);
      for (CompletableFuture<Void> f : List.of(lost, lostAfter)) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("unroutable"), e.getCause().getMessage());
      }
    }
    assertEquals(3, transport.backlog(routable, "g").getAsLong());
  }

  @Test
  @DisplayName("attempts count requeues (x-delivery-count) and delayed redeliveries alike: 1, 2, 3")
  void attemptsAcrossRequeueAndDelay() throws Exception {
    String topic = topic();
    String group = group(topic, "g");
    BlockingQueue<TransportDelivery> got = new LinkedBlockingQueue<>();
    Receiver r = transport.receive(new ReceiveSpec(topic, group, 8, false), got::add);
    try {
      transport.send(topic, Message.builder().key("k").header("h", "v").payload(new byte[] {9}).build())
          .get(10, TimeUnit.SECONDS);
      TransportDelivery first = poll(got);
      assertEquals(1, first.deliveryCount());
      first.nack(Duration.ZERO);
      TransportDelivery second = poll(got);
      assertEquals(2, second.deliveryCount());
      long t0 = System.nanoTime();
      second.nack(Duration.ofMillis(300));
      TransportDelivery third = poll(got);
      long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertEquals(3, third.deliveryCount());
      assertTrue(waited >= 280, "redelivered after " + waited + " ms, asked for 300 ms");
      assertEquals(first.message().id(), third.message().id());
      assertEquals("v", third.message().headers().get("h").orElseThrow());
      assertEquals(1, third.message().headers().size(), "adapter headers leaked: " + third.message().headers());
      third.ack();
    } finally {
      r.close();
    }
  }

  @Test
  @DisplayName("delay tiers are quorum queues that dead-letter at least once (the broker keeps what it cannot route)")
  void delayTiersDeadLetterAtLeastOnce() throws Exception {
    String topic = topic();
    String group = group(topic, "g");
    BlockingQueue<TransportDelivery> got = new LinkedBlockingQueue<>();
    Receiver r = transport.receive(new ReceiveSpec(topic, group, 8, false), got::add);
    try {
      transport.send(topic, Message.of(new byte[] {3})).get(10, TimeUnit.SECONDS);
      poll(got).nack(Duration.ofMillis(200));
      poll(got).ack();
    } finally {
      r.close();
    }
    String tier = dev.courier.rabbitmq.internal.Topology.redeliveryTierName(Duration.ofMillis(200));
    var f = RabbitMqTransport.connectionFactory(settings().build());
    try (Connection c = f.newConnection("courier-test-tiers")) {
      try (Channel ch = c.createChannel()) {
        ch.queueDeclarePassive(tier); // the tier the redelivery went through
        // Re-declaring with the same arguments succeeds; with other arguments the broker refuses.
        ch.queueDeclare(tier, true, false, false, dev.courier.rabbitmq.internal.Topology.tierArguments(""));
      }
      Channel ch = c.createChannel();
      var classic = new java.util.HashMap<>(dev.courier.rabbitmq.internal.Topology.tierArguments(""));
      classic.put("x-dead-letter-strategy", "at-most-once");
      assertThrows(java.io.IOException.class, () -> ch.queueDeclare(tier, true, false, false, classic),
          "the tier does not dead-letter at least once");
    }
  }

  @Test
  @DisplayName("a long delay never holds back a shorter one published after it (delay tiers)")
  void longDelayDoesNotBlockShortOne() throws Exception {
    String topic = topic();
    String group = group(topic, "g");
    BlockingQueue<TransportDelivery> got = new LinkedBlockingQueue<>();
    Receiver r = transport.receive(new ReceiveSpec(topic, group, 8, false), got::add);
    try {
      Message slow = Message.of(new byte[] {1});
      Message fast = Message.of(new byte[] {2});
      transport.sendDelayed(topic, slow, Duration.ofSeconds(4)).get(10, TimeUnit.SECONDS);
      long t0 = System.nanoTime();
      transport.sendDelayed(topic, fast, Duration.ofMillis(300)).get(10, TimeUnit.SECONDS);
      TransportDelivery d = poll(got);
      long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertEquals(fast.id(), d.message().id(), "the 4 s message arrived first");
      assertTrue(waited < 3500, "the 300 ms message took " + waited + " ms"); // the 4 s one would be later
      d.ack();
    } finally {
      r.close();
    }
  }

  @Test
  @DisplayName("a publish callback that publishes again and waits completes: futures never complete on the connection's thread")
  void callbackMayPublishAndWait() throws Exception {
    String topic = topic();
    String group = group(topic, "g");
    transport.ensureGroup(topic, group);
    java.util.concurrent.atomic.AtomicReference<String> thread = new java.util.concurrent.atomic.AtomicReference<>();
    CompletableFuture<Void> chained = transport.send(topic, Message.of(new byte[] {1})).thenRun(() -> {
      thread.set(Thread.currentThread().getName());
      transport.send(topic, Message.of(new byte[] {2})).join();
    });
    chained.get(30, TimeUnit.SECONDS); // the publish timeout is 10 s: a deadlock would fail it, not complete it
    assertFalse(thread.get().startsWith("AMQP Connection"), "completed on " + thread.get());
    assertEquals(2, transport.backlog(topic, group).getAsLong());
  }

  @Test
  @DisplayName("a subscription whose queue the broker deletes (consumer cancelled) subscribes again and keeps receiving")
  void resubscribesAfterQueueDeleted() throws Exception {
    String topic = topic();
    String group = group(topic, "g");
    BlockingQueue<TransportDelivery> got = new LinkedBlockingQueue<>();
    Receiver r = transport.receive(new ReceiveSpec(topic, group, 8, false), got::add);
    try {
      transport.send(topic, Message.of(new byte[] {1})).get(10, TimeUnit.SECONDS);
      poll(got).ack();
      var f = RabbitMqTransport.connectionFactory(settings().build());
      try (Connection c = f.newConnection("courier-test-delete"); Channel ch = c.createChannel()) {
        ch.queueDelete(topic + ":" + group);
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      while (true) {
        Message m = Message.of(new byte[] {2});
        try {
          transport.send(topic, m).get(2, TimeUnit.SECONDS);
          TransportDelivery d = got.poll(2, TimeUnit.SECONDS);
          if (d != null) {
            d.ack();
            if (d.message().id().equals(m.id())) {
              break;
            }
          }
        } catch (ExecutionException unroutableUntilRedeclared) {
          // the queue is not back yet
        }
        assertTrue(System.nanoTime() < deadline, "the subscription did not resume within 15 s of the queue's deletion");
      }
    } finally {
      r.close();
    }
  }

  @Test
  @DisplayName("long topic and group names map to a queue name within AMQP's 255 bytes, distinct per pair")
  void longNamesAreHashed() {
    String t = "t".repeat(200);
    String a = dev.courier.rabbitmq.internal.Topology.queueName(t, "g".repeat(200));
    String b = dev.courier.rabbitmq.internal.Topology.queueName(t, "g".repeat(199) + "h");
    assertTrue(a.length() <= 255 && b.length() <= 255);
    assertFalse(a.equals(b));
    assertEquals("orders:billing", dev.courier.rabbitmq.internal.Topology.queueName("orders", "billing"));
  }
}
