package dev.courier.kafka.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.Capability;
import dev.courier.Courier;
import dev.courier.Message;
import dev.courier.PayloadTooLargeException;
import dev.courier.kafka.KafkaTestSupport;
import dev.courier.kafka.KafkaTransport;
import dev.courier.spi.ReceiveSpec;
import dev.courier.spi.Receiver;
import dev.courier.spi.TransportDelivery;
import dev.courier.testsupport.Poll;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Kafka delayed publish: a per-topic delayed-publish topic and forwarder, against a real broker")
class KafkaDelayedPublishTest extends SharedBrokerTest {
  private static String unique(String purpose) {
    return unique("kd", purpose);
  }

  /** Waits up to {@code seconds} for the next delivery, acks it and returns it with its arrival time. */
  private static Arrival next(LinkedBlockingQueue<TransportDelivery> q, int seconds) throws InterruptedException {
    TransportDelivery d = q.poll(seconds, TimeUnit.SECONDS);
    long at = System.nanoTime();
    assertNotNull(d, "no delivery arrived within " + seconds + " s");
    d.ack();
    return new Arrival(d, at);
  }

  private record Arrival(TransportDelivery delivery, long nanos) {
    String id() {
      return delivery.message().id();
    }

    long millisAfter(long startNanos) {
      return TimeUnit.NANOSECONDS.toMillis(nanos - startNanos);
    }
  }

  @Test
  @DisplayName("the transport declares DELAYED_PUBLISH and the same maximum delay the core checks")
  void declaresDelayedPublish() {
    assertTrue(transport.capabilities().has(Capability.DELAYED_PUBLISH), transport.capabilities().toString());
    assertEquals(Duration.ofDays(1), transport.capabilities().maxPublishDelay());
  }

  @Test
  @DisplayName("a delayed message is not delivered before its delay and is delivered after it, with its id, key, headers and payload")
  void notBeforeItsDelay() throws Exception {
    String topic = unique("due");
    String group = unique("g");
    transport.ensureGroup(topic, group);
    LinkedBlockingQueue<TransportDelivery> q = new LinkedBlockingQueue<>();
    try (Receiver r = transport.receive(new ReceiveSpec(topic, group, 10, false), q::add)) {
      Instant written = Instant.ofEpochMilli(System.currentTimeMillis() - 3_600_000);
      Message sent = Message.builder().id("d-1").key("k-1").header("h", "v").payload(new byte[] {1, 2, 3})
          .timestamp(written).build();
      long start = System.nanoTime();
      transport.sendDelayed(topic, sent, Duration.ofSeconds(2)).get(20, TimeUnit.SECONDS);
      Arrival got = next(q, 25);
      assertTrue(got.millisAfter(start) >= 1950, "a message delayed by 2000 ms arrived after " + got.millisAfter(start) + " ms");
      Message m = got.delivery().message();
      assertEquals("d-1", m.id());
      assertEquals("k-1", m.key().orElse(null));
      assertEquals(Map.of("h", "v"), m.headers().asMap(), "the headers changed (or the adapter's own leaked)");
      assertEquals(3, m.payloadSize());
      assertEquals(written, m.timestamp(), "the forward changed the message's own timestamp");
      assertEquals(1, got.delivery().deliveryCount(), "a delayed publish is a first delivery");
      assertTrue(Poll.holdsFor(Duration.ofMillis(500), q::isEmpty), "the delayed message arrived twice");
      assertTrue(Poll.until(Duration.ofSeconds(10),
              () -> probe.committedIn(KafkaTransport.forwarderGroupId(topic), KafkaTransport.delayedTopic(topic), 0) == 1),
          "the forwarder did not commit past the forwarded record");
    }
  }

  @Test
  @DisplayName("a 10 s delay published first does not hold back a 300 ms delay published after it in the same partition")
  void longDelayDoesNotBlockShortOne() throws Exception {
    String topic = unique("order");
    String group = unique("g");
    transport.ensureGroup(topic, group);
    LinkedBlockingQueue<TransportDelivery> q = new LinkedBlockingQueue<>();
    try (Receiver r = transport.receive(new ReceiveSpec(topic, group, 10, false), q::add)) {
      transport.sendDelayed(topic, Message.builder().id("long").payload(new byte[] {1}).build(), Duration.ofSeconds(10))
          .get(20, TimeUnit.SECONDS);
      // The forwarder's group join is not what this test times: wait until it holds the long one.
      awaitHolding(topic);
      long start = System.nanoTime();
      transport.sendDelayed(topic, Message.builder().id("short").payload(new byte[] {2}).build(), Duration.ofMillis(300))
          .get(20, TimeUnit.SECONDS);
      Arrival got = next(q, 9);
      assertEquals("short", got.id(), "the 10 s delay arrived before the 300 ms one");
      assertTrue(got.millisAfter(start) >= 250, "the 300 ms delay arrived after " + got.millisAfter(start) + " ms");
      assertTrue(got.millisAfter(start) < 5_000, "the 300 ms delay took " + got.millisAfter(start)
          + " ms: it waited behind the 10 s one");
    }
  }

  /** Waits until the topic's forwarder has read its first delayed record and holds it (commit at offset 0). */
  private static void awaitHolding(String topic) {
    assertTrue(Poll.until(Duration.ofSeconds(30),
            () -> probe.committedIn(KafkaTransport.forwarderGroupId(topic), KafkaTransport.delayedTopic(topic), 0) == 0),
        "the forwarder did not read the first delayed record within 30 s");
  }

  @Test
  @DisplayName("a graceful close hands the held records over and commits past them: a new forwarder forwards the held "
      + "one, and not again the ones already forwarded")
  void closeHandsOverWithoutDuplicates() throws Exception {
    String topic = unique("handover");
    String group = unique("g");
    String delayed = KafkaTransport.delayedTopic(topic);
    long longPublished;
    try (KafkaTransport a = KafkaTestSupport.transport().partitions(1).build()) {
      a.ensureGroup(topic, group);
      LinkedBlockingQueue<TransportDelivery> q = new LinkedBlockingQueue<>();
      try (Receiver r = a.receive(new ReceiveSpec(topic, group, 10, false), q::add)) {
        // First the forwarder joins its group and forwards (offset 0), so the timed part below is short.
        a.sendDelayed(topic, Message.builder().id("warm").payload(new byte[] {0}).build(), Duration.ZERO)
            .get(20, TimeUnit.SECONDS);
        assertEquals("warm", next(q, 30).id());
        longPublished = System.nanoTime();
        a.sendDelayed(topic, Message.builder().id("long").payload(new byte[] {1}).build(), Duration.ofSeconds(10))
            .get(20, TimeUnit.SECONDS); // offset 1
        for (int i = 1; i <= 3; i++) {
          a.sendDelayed(topic, Message.builder().id("short-" + i).payload(new byte[] {2}).build(), Duration.ofMillis(200))
              .get(20, TimeUnit.SECONDS); // offsets 2..4
        }
        Set<String> shorts = new HashSet<>();
        for (int i = 0; i < 3; i++) {
          shorts.add(next(q, 20).id());
        }
        assertEquals(Set.of("short-1", "short-2", "short-3"), shorts);
        // While running, the held long one pins the forwarder's commit at offset 1.
        assertTrue(Poll.until(Duration.ofSeconds(10),
                () -> probe.committedIn(KafkaTransport.forwarderGroupId(topic), delayed, 0) == 1),
            "the forwarder did not commit up to the held record");
      }
    }
    long closed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - longPublished);
    assertTrue(closed < 9_500, "transport A closed only after " + closed + " ms, when the long message was (almost) due");
    // The close copied the held record to the tail (offset 5) and committed past everything else.
    assertEquals(6, probe.endOffset(delayed, 0), "expected warm, long, 3 short and one copy of long");
    assertEquals(5, probe.committedIn(KafkaTransport.forwarderGroupId(topic), delayed, 0),
        "closing did not commit past the forwarded records and the handed-over one");
    try (KafkaTransport b = KafkaTestSupport.transport().partitions(1).build()) {
      LinkedBlockingQueue<TransportDelivery> q = new LinkedBlockingQueue<>();
      try (Receiver r = b.receive(new ReceiveSpec(topic, group, 10, false), q::add)) {
        Arrival got = next(q, 30);
        assertEquals("long", got.id(), "a record forwarded before the close was forwarded again");
        assertTrue(got.millisAfter(longPublished) >= 9_950,
            "a message delayed by 10 s arrived after " + got.millisAfter(longPublished) + " ms");
        assertTrue(Poll.holdsFor(Duration.ofMillis(1_000), q::isEmpty), "a delayed message arrived twice");
      }
    }
  }

  @Test
  @DisplayName("beyond max-delayed-held the farthest-due records go back to the tail: a short delay published after "
      + "them still arrives promptly")
  void fullForwarderDoesNotHoldBackAShortDelay() throws Exception {
    try (KafkaTransport small = KafkaTestSupport.transport().partitions(1).maxDelayedHeld(3).build()) {
      String topic = unique("full");
      String group = unique("g");
      String delayed = KafkaTransport.delayedTopic(topic);
      small.ensureGroup(topic, group);
      LinkedBlockingQueue<TransportDelivery> q = new LinkedBlockingQueue<>();
      try (Receiver r = small.receive(new ReceiveSpec(topic, group, 10, false), q::add)) {
        small.sendDelayed(topic, Message.builder().id("far-0").payload(new byte[] {1}).build(), Duration.ofMinutes(5))
            .get(20, TimeUnit.SECONDS);
        assertTrue(Poll.until(Duration.ofSeconds(30),
                () -> probe.committedIn(KafkaTransport.forwarderGroupId(topic), delayed, 0) == 0),
            "the forwarder did not read the first delayed record within 30 s");
        for (int i = 1; i < 5; i++) {
          small.sendDelayed(topic, Message.builder().id("far-" + i).payload(new byte[] {1}).build(),
              Duration.ofMinutes(5)).get(20, TimeUnit.SECONDS);
        }
        long start = System.nanoTime();
        small.sendDelayed(topic, Message.builder().id("short").payload(new byte[] {2}).build(), Duration.ofMillis(300))
            .get(20, TimeUnit.SECONDS);
        Arrival got = next(q, 15);
        assertEquals("short", got.id());
        assertTrue(got.millisAfter(start) < 6_000, "the 300 ms delay took " + got.millisAfter(start)
            + " ms behind 5 far-future ones with max-delayed-held 3");
        assertTrue(probe.endOffset(delayed, 0) > 6, "no far-future record was copied to the tail");
        assertTrue(Poll.holdsFor(Duration.ofMillis(500), q::isEmpty), "a far-future record arrived early");
      }
    }
  }

  @Test
  @DisplayName("fan-out: each group on the topic receives a delayed message once")
  void fanOut() throws Exception {
    try (KafkaTransport two = KafkaTestSupport.transport().partitions(2).build()) {
      String topic = unique("fan");
      String g1 = unique("g1");
      String g2 = unique("g2");
      two.ensureGroup(topic, g1);
      two.ensureGroup(topic, g2);
      LinkedBlockingQueue<TransportDelivery> q1 = new LinkedBlockingQueue<>();
      LinkedBlockingQueue<TransportDelivery> q2 = new LinkedBlockingQueue<>();
      try (Receiver r1 = two.receive(new ReceiveSpec(topic, g1, 10, false), q1::add);
          Receiver r2 = two.receive(new ReceiveSpec(topic, g2, 10, false), q2::add)) {
        long start = System.nanoTime();
        two.sendDelayed(topic, Message.builder().id("f-1").payload(new byte[] {1}).build(), Duration.ofSeconds(1))
            .get(20, TimeUnit.SECONDS);
        Arrival first = next(q1, 25);
        Arrival second = next(q2, 25);
        assertEquals("f-1", first.id());
        assertEquals("f-1", second.id());
        assertTrue(first.millisAfter(start) >= 950 && second.millisAfter(start) >= 950,
            "arrived after " + first.millisAfter(start) + " and " + second.millisAfter(start) + " ms; the delay was 1000 ms");
        assertTrue(Poll.holdsFor(Duration.ofMillis(1000), () -> q1.isEmpty() && q2.isEmpty()),
            "a group received the delayed message twice");
      }
    }
  }

  @Test
  @DisplayName("a negative delay, a delay above the maximum and a null delay fail with the core's typed exceptions, and a record too large with its due time fails its future, before any I/O")
  void badInputBeforeAnyIo() throws Exception {
    String topic = unique("bad");
    Message m = Message.of(new byte[] {1});
    Duration tooLong = transport.capabilities().maxPublishDelay().plusSeconds(1);
    // Through the public API, as applications call it.
    try (Courier courier = KafkaTestSupport.newCourier()) {
      IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
          () -> courier.publisher().publishDelayed(topic, m, Duration.ofSeconds(-1)));
      assertTrue(negative.getMessage().contains("negative"), negative.getMessage());
      IllegalArgumentException above = assertThrows(IllegalArgumentException.class,
          () -> courier.publisher().publishDelayed(topic, m, tooLong));
      assertTrue(above.getMessage().contains("maxPublishDelay"), above.getMessage());
      NullPointerException nullDelay = assertThrows(NullPointerException.class,
          () -> courier.publisher().publishDelayed(topic, m, null));
      assertEquals("delay", nullDelay.getMessage());
    }
    // The transport adds its own check, for the size with the due time: a future failed before any I/O.
    Message tooBig = Message.of(new byte[transport.messageMaxBytes()]);
    ExecutionException big = assertThrows(ExecutionException.class,
        () -> transport.sendDelayed(topic, tooBig, Duration.ofSeconds(1)).get(10, TimeUnit.SECONDS));
    assertInstanceOf(PayloadTooLargeException.class, big.getCause());
    assertFalse(probe.topicExists(topic), "a rejected delayed publish created the topic");
    assertFalse(probe.topicExists(KafkaTransport.delayedTopic(topic)), "a rejected delayed publish created the delayed-publish topic");
  }
}
