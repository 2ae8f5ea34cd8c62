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
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Kafka delayed publish: on the topic with its due time, held in each group's delay topic, against a real broker")
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
      assertEquals(written, m.timestamp(), "the hold in the delay topic changed the message's own timestamp");
      assertEquals(1, got.delivery().deliveryCount(), "a delayed publish is a first delivery");
      assertTrue(Poll.holdsFor(Duration.ofMillis(500), q::isEmpty), "the delayed message arrived twice");
      String kafkaGroup = KafkaTransport.groupId(topic, group);
      assertTrue(Poll.until(Duration.ofSeconds(10), () -> probe.committed(group, topic, 0) == 1
              && probe.committedIn(kafkaGroup, KafkaTransport.delayTopic(topic, group), 0) == 1),
          "the group did not commit past the delayed record and its copy in the delay topic");
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
      // The group's join is not what this test times: wait until it holds the long one.
      assertTrue(Poll.until(Duration.ofSeconds(30), () -> probe.endOffset(KafkaTransport.delayTopic(topic, group), 0) == 1),
          "the group did not hand the long one to its delay topic within 30 s");
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

  @Test
  @DisplayName("a delayed message reaches a group provisioned but not running when it starts, not before it is due;"
      + " a group created after the publish does not get it")
  void reachesTheGroupsOfPublishTime() throws Exception {
    String topic = unique("groups");
    String idle = unique("idle");
    String late = unique("late");
    transport.ensureGroup(topic, idle);
    long start = System.nanoTime();
    transport.sendDelayed(topic, Message.builder().id("p-1").payload(new byte[] {1}).build(), Duration.ofSeconds(3))
        .get(20, TimeUnit.SECONDS);
    transport.ensureGroup(topic, late);
    LinkedBlockingQueue<TransportDelivery> q = new LinkedBlockingQueue<>();
    LinkedBlockingQueue<TransportDelivery> lateQ = new LinkedBlockingQueue<>();
    try (Receiver r = transport.receive(new ReceiveSpec(topic, idle, 10, false), q::add);
        Receiver lr = transport.receive(new ReceiveSpec(topic, late, 10, false), lateQ::add)) {
      Arrival got = next(q, 25);
      assertEquals("p-1", got.id());
      assertEquals(1, got.delivery().deliveryCount(), "a delayed publish is a first delivery");
      assertTrue(got.millisAfter(start) >= 2950, "a message delayed by 3000 ms arrived after " + got.millisAfter(start) + " ms");
      assertTrue(Poll.holdsFor(Duration.ofMillis(1000), () -> q.isEmpty() && lateQ.isEmpty()),
          "the delayed message arrived twice, or reached a group created after it was published");
    }
  }

  @Test
  @DisplayName("a delayed message held when the subscription closes is relayed: after reopening it arrives once, when due")
  void heldAcrossCloseArrivesOnce() throws Exception {
    String topic = unique("reopen");
    String group = unique("g");
    String delay = KafkaTransport.delayTopic(topic, group);
    transport.ensureGroup(topic, group);
    LinkedBlockingQueue<TransportDelivery> q = new LinkedBlockingQueue<>();
    long start = System.nanoTime();
    try (Receiver r = transport.receive(new ReceiveSpec(topic, group, 10, false), q::add)) {
      transport.sendDelayed(topic, Message.builder().id("held").payload(new byte[] {1}).build(), Duration.ofSeconds(8))
          .get(20, TimeUnit.SECONDS);
      transport.sendDelayed(topic, Message.builder().id("soon").payload(new byte[] {2}).build(), Duration.ofMillis(200))
          .get(20, TimeUnit.SECONDS);
      assertEquals("soon", next(q, 15).id());
    }
    assertEquals(3, probe.endOffset(delay, 0), "expected the two copies and one relay of the held one in the delay topic");
    assertEquals(2, probe.committedIn(KafkaTransport.groupId(topic, group), delay, 0),
        "closing did not commit past the relayed record and the handled one, up to the relay's copy");
    try (Receiver r = transport.receive(new ReceiveSpec(topic, group, 10, false), q::add)) {
      Arrival got = next(q, 25);
      assertEquals("held", got.id(), "a record handled before the close was handed again");
      assertTrue(got.millisAfter(start) >= 7950, "a message delayed by 8 s arrived after " + got.millisAfter(start) + " ms");
      assertEquals(1, got.delivery().deliveryCount(), "the relay counted a delivery");
      assertTrue(Poll.holdsFor(Duration.ofMillis(1000), q::isEmpty), "a delayed message arrived twice");
    }
  }

  @Test
  @DisplayName("a foreign record whose publish due time lies beyond the longest delay is held at most that delay")
  void foreignDueTimeIsCapped() throws Exception {
    String topic = unique("cap");
    String group = unique("g");
    transport.ensureGroup(topic, group);
    long tenDays = System.currentTimeMillis() + Duration.ofDays(10).toMillis();
    ProducerRecord<byte[], byte[]> foreign = new ProducerRecord<>(topic, 0, null, new byte[] {1});
    foreign.headers().add(RecordMapper.PUBLISH_DUE, Long.toString(tenDays).getBytes(StandardCharsets.UTF_8));
    KafkaProbe.produce(foreign);
    long read = System.currentTimeMillis();
    String delay = KafkaTransport.delayTopic(topic, group);
    LinkedBlockingQueue<TransportDelivery> q = new LinkedBlockingQueue<>();
    try (Receiver r = transport.receive(new ReceiveSpec(topic, group, 10, false), q::add)) {
      assertTrue(Poll.until(Duration.ofSeconds(20), () -> probe.endOffset(delay, 0) >= 1),
          "the foreign delayed record was not written to the delay topic");
    }
    long due = probe.longHeader(delay, 0, 0, RecordMapper.DUE);
    long max = read + KafkaReceiver.MAX_DELAY.toMillis() + 60_000;
    assertTrue(due <= max, "held until " + Instant.ofEpochMilli(due) + ", beyond the longest delay (" + Instant.ofEpochMilli(max) + ")");
    assertTrue(due >= read + KafkaReceiver.MAX_DELAY.toMillis() - 60_000, "held until " + Instant.ofEpochMilli(due));
    assertTrue(q.isEmpty(), "the foreign delayed record was handed before it was due");
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
  }
}
