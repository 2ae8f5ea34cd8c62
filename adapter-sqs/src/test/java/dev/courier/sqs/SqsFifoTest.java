package dev.courier.sqs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.Capability;
import dev.courier.GroupOptions;
import dev.courier.IncompatibleGroupException;
import dev.courier.Message;
import dev.courier.spi.ReceiveSpec;
import dev.courier.spi.TransportDelivery;
import dev.courier.testsupport.ElasticMqServer;
import dev.courier.testsupport.FauxqsServer;
import dev.courier.testsupport.Poll;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("SQS FIFO topics")
class SqsFifoTest {
  private static final GroupOptions ORDERED = GroupOptions.defaults().withOrderedByKey(true);
  private final List<SqsTransport> transports = new ArrayList<>();

  private SqsTransport transport(SqsSettings.Builder b) {
    SqsTransport t = SqsTransport.create(b.build());
    transports.add(t);
    return t;
  }

  /** A transport whose topics are all FIFO, on the shared ElasticMQ. */
  private SqsTransport fifoOnElasticMq() {
    return transport(SqsTestSupport.settings(ElasticMqServer.shared()).fifoTopics("*"));
  }

  @AfterEach
  void close() {
    transports.forEach(SqsTransport::close);
  }

  private static String name(String purpose) {
    return "f-" + purpose + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xFFFFFFFFFFL);
  }

  private static TransportDelivery take(LinkedBlockingQueue<TransportDelivery> in, String what)
      throws InterruptedException {
    TransportDelivery d = in.poll(15, TimeUnit.SECONDS);
    assertNotNull(d, "no delivery of " + what + " within 15 s");
    assertTrue(d.tryStart(), "the delivery of " + what + " was withdrawn");
    return d;
  }

  private static Message keyed(String key, String payload) {
    return Message.builder().key(key).payload(payload.getBytes()).build();
  }

  @Test
  @DisplayName("only listed topics are FIFO: ORDERED_BY_KEY is declared, and an ordered group on another topic fails with IncompatibleGroupException naming the key")
  void orderedGroupNeedsFifoTopic() {
    String fifo = name("listed");
    SqsTransport t = transport(SqsTestSupport.settings(ElasticMqServer.shared()).fifoTopics(fifo));
    assertTrue(t.capabilities().has(Capability.ORDERED_BY_KEY));
    assertEquals(75, t.naming().maxLength(), "80 characters less '.fifo'");
    t.ensureGroup(fifo, "g", ORDERED);
    IncompatibleGroupException e = assertThrows(IncompatibleGroupException.class,
        () -> t.ensureGroup(name("unlisted"), "g", ORDERED));
    assertTrue(e.getMessage().contains("courier.sqs.fifo-topics"), e.getMessage());
  }

  @Test
  @DisplayName("queue topology on ElasticMQ: a release and a defer keep the message first of its key and uncounted, a nack counts, a repeated publish is kept once")
  void handBacksKeepKeyOrder() throws Exception {
    SqsTransport t = fifoOnElasticMq();
    String topic = name("order");
    t.ensureGroup(topic, "g", ORDERED);
    Message m1 = keyed("k", "1");
    Message m2 = keyed("k", "2");
    Message m3 = keyed("k", "3");
    for (Message m : List.of(m1, m2, m1, m3)) { // m1 again: a publish retried, deduplicated
      t.send(topic, m).get(10, TimeUnit.SECONDS);
    }
    LinkedBlockingQueue<TransportDelivery> in = receiveOrdered(t, topic, 1);
    TransportDelivery d = take(in, "m1");
    assertEquals(m1.id(), d.message().id());
    d.release();
    d = take(in, "m1 after its release");
    assertEquals(List.of(m1.id(), 1), List.of(d.message().id(), d.deliveryCount()), "released: first, uncounted");
    d.defer(Duration.ofSeconds(1));
    d = take(in, "m1 after its defer");
    assertEquals(List.of(m1.id(), 1), List.of(d.message().id(), d.deliveryCount()), "deferred: first, uncounted");
    d.nack(Duration.ZERO);
    d = take(in, "m1 after its nack");
    assertEquals(List.of(m1.id(), 2), List.of(d.message().id(), d.deliveryCount()), "nacked: first, counted");
    d.ack();
    for (Message m : List.of(m2, m3)) {
      d = take(in, "the next message");
      assertEquals(List.of(m.id(), 1), List.of(d.message().id(), d.deliveryCount()));
      d.ack();
    }
    assertTrue(Poll.until(Duration.ofSeconds(5), () -> t.backlog(topic, "g").orElseThrow() == 0),
        "the repeated publish of m1 was kept once (the deletes are asynchronous, the counts approximate)");
  }

  @Test
  @DisplayName("queue topology on ElasticMQ: a nacked message's key-mates received with it and not started go back with it, uncounted, and come again after it")
  void nackReturnsUnstartedKeyMates() throws Exception {
    SqsTransport t = fifoOnElasticMq();
    String topic = name("mates");
    t.ensureGroup(topic, "g", ORDERED);
    List<Message> sent = List.of(keyed("k", "1"), keyed("k", "2"), keyed("k", "3"));
    for (Message m : sent) {
      t.send(topic, m).get(10, TimeUnit.SECONDS);
    }
    LinkedBlockingQueue<TransportDelivery> in = receiveOrdered(t, topic, 10);
    TransportDelivery first = take(in, "m1");
    assertEquals(sent.get(0).id(), first.message().id());
    assertTrue(Poll.until(Duration.ofSeconds(5), () -> in.size() == 2), "SQS handed over the key's 3 messages");
    List<TransportDelivery> mates = List.copyOf(in);
    in.clear();
    first.nack(Duration.ofSeconds(1));
    for (TransportDelivery mate : mates) {
      assertFalse(mate.tryStart(), "a key-mate was left to run while the nacked message waits");
    }
    List<List<Object>> again = new ArrayList<>();
    for (int i = 0; i < sent.size(); i++) {
      TransportDelivery d = take(in, "message " + i + " again");
      again.add(List.of(new String(d.message().payload()), d.deliveryCount()));
      d.ack();
    }
    assertEquals(List.of(List.of("1", 2), List.of("2", 1), List.of("3", 1)), again);
  }

  @Test
  @DisplayName("queue topology on ElasticMQ: a key-mate handed back uncounted by one transport is a first delivery when another transport of the same process receives it")
  void handBackUncountedAcrossTransports() throws Exception {
    SqsTransport a = fifoOnElasticMq();
    SqsTransport b = fifoOnElasticMq();
    String topic = name("two");
    a.ensureGroup(topic, "g", ORDERED);
    Message m1 = keyed("k", "1");
    Message m2 = keyed("k", "2");
    for (Message m : List.of(m1, m2)) {
      a.send(topic, m).get(10, TimeUnit.SECONDS);
    }
    LinkedBlockingQueue<TransportDelivery> inA = new LinkedBlockingQueue<>();
    var receiverA = a.receive(new ReceiveSpec(topic, "g", 10, ORDERED), inA::add);
    TransportDelivery first = take(inA, "m1 at A");
    assertTrue(Poll.until(Duration.ofSeconds(5), () -> inA.size() == 1), "SQS handed over m2 with m1");
    receiverA.stopFetching();
    first.nack(Duration.ZERO); // m2 goes back with it, uncounted
    LinkedBlockingQueue<TransportDelivery> inB = receiveOrdered(b, topic, 10);
    TransportDelivery d = take(inB, "m1 at B");
    assertEquals(List.of(m1.id(), 2), List.of(d.message().id(), d.deliveryCount()), "nacked once: counted");
    d.ack();
    d = take(inB, "m2 at B");
    assertEquals(List.of(m2.id(), 1), List.of(d.message().id(), d.deliveryCount()), "handed back by A: uncounted");
    d.ack();
  }

  @Test
  @DisplayName("queue topology on ElasticMQ: a sub-second nack just before its transport closes still makes the message visible when due, not after the visibility timeout")
  void shortNackSurvivesClose() throws Exception {
    SqsTransport a = fifoOnElasticMq();
    String topic = name("close");
    a.ensureGroup(topic, "g", ORDERED);
    Message m = keyed("k", "1");
    a.send(topic, m).get(10, TimeUnit.SECONDS);
    LinkedBlockingQueue<TransportDelivery> inA = new LinkedBlockingQueue<>();
    var receiver = a.receive(new ReceiveSpec(topic, "g", 1, ORDERED), inA::add);
    TransportDelivery first = take(inA, "m at A");
    receiver.stopFetching(); // its close then waits for no poll and reaches the timer before the nack is due
    assertTrue(Poll.until(Duration.ofSeconds(5), () -> Thread.getAllStackTraces().keySet().stream()
        .noneMatch(th -> th.isAlive() && th.getName().startsWith("courier-sqs-poll-") && th.getName().contains(topic))),
        "the pollers stopped");
    first.nack(Duration.ofMillis(500));
    a.close();
    SqsTransport b = fifoOnElasticMq();
    LinkedBlockingQueue<TransportDelivery> inB = receiveOrdered(b, topic, 1);
    TransportDelivery d = inB.poll(10, TimeUnit.SECONDS); // the visibility timeout is 30 s
    assertNotNull(d, "the nacked message stayed hidden after its transport closed");
    assertEquals(List.of(m.id(), 2), List.of(d.message().id(), d.deliveryCount()));
    d.tryStart();
    d.ack();
  }

  @Test
  @DisplayName("queue topology on ElasticMQ: a delayed publish arrives when due, as a first delivery, and holds its key's later message back, also one received with it")
  void delayedPublishHoldsItsKey() throws Exception {
    SqsTransport t = fifoOnElasticMq();
    String topic = name("delay");
    t.ensureGroup(topic, "g", ORDERED);
    Message later = keyed("k", "later");
    Message next = keyed("k", "next");
    long start = System.nanoTime();
    t.sendDelayed(topic, later, Duration.ofMillis(1500)).get(10, TimeUnit.SECONDS);
    t.send(topic, next).get(10, TimeUnit.SECONDS);
    LinkedBlockingQueue<TransportDelivery> in = receiveOrdered(t, topic, 4); // after both publishes: one receive has both
    TransportDelivery d = take(in, "the delayed message");
    long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertEquals(later.id(), d.message().id(), "the key's later message overtook the delayed one");
    assertTrue(waited >= 1500, "arrived after " + waited + " ms, before its 1500 ms");
    assertEquals(1, d.deliveryCount(), "the early receives that hid it must not count");
    d.ack();
    TransportDelivery n = take(in, "the next message");
    assertEquals(next.id(), n.message().id());
    n.ack();
  }

  @Test
  @DisplayName("SNS topology on fauxqs: a FIFO SNS topic gives two ordered groups every message, in key order, a repeated publish once")
  void snsFifoFansOutInOrder() throws Exception {
    SqsTransport t = transport(SqsTestSupport.settings(FauxqsServer.shared()).fifoTopics("*"));
    String topic = name("sns");
    List<LinkedBlockingQueue<TransportDelivery>> groups = List.of(new LinkedBlockingQueue<>(),
        new LinkedBlockingQueue<>());
    for (int g = 0; g < groups.size(); g++) {
      t.receive(new ReceiveSpec(topic, "g" + g, 8, ORDERED), groups.get(g)::add);
    }
    List<Message> sent = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      sent.add(keyed("a", "a" + i));
      sent.add(keyed("b", "b" + i));
    }
    for (Message m : sent) {
      t.send(topic, m).get(10, TimeUnit.SECONDS);
    }
    t.send(topic, sent.get(0)).get(10, TimeUnit.SECONDS); // a publish retried: deduplicated
    Message last = keyed("a", "last");
    t.send(topic, last).get(10, TimeUnit.SECONDS);
    sent.add(last);
    for (LinkedBlockingQueue<TransportDelivery> in : groups) {
      List<String> a = new ArrayList<>();
      List<String> b = new ArrayList<>();
      for (int i = 0; i < sent.size(); i++) {
        TransportDelivery d = take(in, "message " + i);
        (d.message().key().orElseThrow().equals("a") ? a : b).add(new String(d.message().payload()));
        d.ack();
      }
      assertEquals(List.of("a0", "a1", "a2", "a3", "last"), a);
      assertEquals(List.of("b0", "b1", "b2", "b3"), b);
    }
  }

  /** Receives {@code topic}'s ordered group "g" on {@code t}: the deliveries as they arrive. */
  private static LinkedBlockingQueue<TransportDelivery> receiveOrdered(SqsTransport t, String topic, int maxInFlight) {
    LinkedBlockingQueue<TransportDelivery> in = new LinkedBlockingQueue<>();
    t.receive(new ReceiveSpec(topic, "g", maxInFlight, ORDERED), in::add);
    return in;
  }
}
