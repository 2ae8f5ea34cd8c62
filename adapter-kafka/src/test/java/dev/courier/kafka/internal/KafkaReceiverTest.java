package dev.courier.kafka.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.Message;
import dev.courier.kafka.KafkaTestSupport;
import dev.courier.kafka.KafkaTransport;
import dev.courier.spi.ReceiveSpec;
import dev.courier.spi.Receiver;
import dev.courier.spi.TransportDelivery;
import dev.courier.testsupport.Poll;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Kafka receiver: offsets, backpressure and redelivery against a real broker")
class KafkaReceiverTest extends SharedBrokerTest {
  private static String unique(String purpose) {
    return unique("kt", purpose);
  }

  private static void publish(String topic, int n) {
    List<CompletableFuture<Void>> sent = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      sent.add(transport.send(topic, Message.builder().header("seq", Integer.toString(i)).payload(new byte[] {(byte) i}).build()));
    }
    CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).join();
  }

  private static List<TransportDelivery> take(LinkedBlockingQueue<TransportDelivery> q, int n) throws InterruptedException {
    List<TransportDelivery> got = new ArrayList<>();
    while (got.size() < n) {
      TransportDelivery d = q.poll(20, TimeUnit.SECONDS);
      if (d == null) {
        throw new AssertionError("only " + got.size() + " of " + n + " deliveries arrived");
      }
      got.add(d);
    }
    return got;
  }

  @Test
  @DisplayName("completions out of order never move the commit past an unsettled record; the last one releases them all")
  void commitsOnlyContiguousCompletions() throws Exception {
    String topic = unique("offsets");
    String group = unique("g");
    transport.ensureGroup(topic, group);
    publish(topic, 10);
    LinkedBlockingQueue<TransportDelivery> q = new LinkedBlockingQueue<>();
    try (Receiver r = transport.receive(new ReceiveSpec(topic, group, 100, false), q::add)) {
      List<TransportDelivery> got = take(q, 10);
      for (int i = got.size() - 1; i >= 3; i--) {
        got.get(i).ack(); // 9..3 complete, newest first
      }
      got.get(1).ack();
      assertTrue(Poll.holdsFor(Duration.ofMillis(1200), () -> probe.committed(group, topic, 0) <= 0),
          "the group committed " + probe.committed(group, topic, 0) + " while offset 0 was unsettled");
      got.get(0).ack();
      assertTrue(Poll.until(Duration.ofSeconds(10), () -> probe.committed(group, topic, 0) == 2),
          "after offsets 0 and 1 completed the commit should stop at the unsettled offset 2, was "
              + probe.committed(group, topic, 0));
      got.get(2).ack();
      assertTrue(Poll.until(Duration.ofSeconds(10), () -> probe.committed(group, topic, 0) == 10),
          "after every record completed the commit should be 10, was " + probe.committed(group, topic, 0));
    }
  }

  @Test
  @DisplayName("at maxInFlight unsettled deliveries the partitions are paused, and resume as deliveries settle")
  void pausesAtMaxInFlight() throws Exception {
    String topic = unique("pause");
    String group = unique("g");
    transport.ensureGroup(topic, group);
    publish(topic, 40);
    LinkedBlockingQueue<TransportDelivery> q = new LinkedBlockingQueue<>();
    AtomicInteger unsettled = new AtomicInteger();
    AtomicInteger maxUnsettled = new AtomicInteger();
    try (Receiver r = transport.receive(new ReceiveSpec(topic, group, 5, false), d -> {
      maxUnsettled.accumulateAndGet(unsettled.incrementAndGet(), Math::max);
      q.add(d);
    })) {
      KafkaReceiver receiver = (KafkaReceiver) r;
      List<TransportDelivery> first = take(q, 5);
      assertTrue(Poll.holdsFor(Duration.ofMillis(800), () -> q.isEmpty()),
          "a sixth delivery arrived while five were unsettled");
      assertTrue(receiver.pausedForBackpressure(), "the receiver did not pause its partitions at maxInFlight");
      unsettled.addAndGet(-2);
      first.get(0).ack();
      first.get(1).ack();
      // Three stay unsettled: the rest flows two at a time.
      int received = 5;
      while (received < 40) {
        TransportDelivery d = q.poll(10, TimeUnit.SECONDS);
        assertTrue(d != null, "deliveries stopped after " + received + " of 40 although capacity was free");
        received++;
        unsettled.decrementAndGet();
        d.ack();
      }
      for (int i = 2; i < 5; i++) {
        unsettled.decrementAndGet();
        first.get(i).ack();
      }
      assertTrue(maxUnsettled.get() <= 5, maxUnsettled.get() + " deliveries were unsettled at once; maxInFlight is 5");
      assertTrue(Poll.until(Duration.ofSeconds(10), () -> !receiver.pausedForBackpressure()),
          "the receiver stayed paused after everything settled");
    }
  }

  @Test
  @DisplayName("a nack republishes to the group's delay topic: due no sooner than asked, with the delivery count in a header that survives a new consumer")
  void nackRedeliversThroughDelayTopicWithCount() throws Exception {
    String topic = unique("nack");
    String group = unique("g");
    transport.ensureGroup(topic, group);
    transport.send(topic, Message.builder().id("m-1").payload(new byte[] {1}).build()).join();
    LinkedBlockingQueue<TransportDelivery> q = new LinkedBlockingQueue<>();
    long nacked;
    try (Receiver r = transport.receive(new ReceiveSpec(topic, group, 10, false), q::add)) {
      TransportDelivery first = take(q, 1).get(0);
      assertEquals(1, first.deliveryCount());
      nacked = System.nanoTime();
      first.nack(Duration.ofMillis(1500));
      assertTrue(Poll.until(Duration.ofSeconds(10), () -> probe.committed(group, topic, 0) == 1),
          "the original's offset was not committed once its redelivery was stored");
    }
    // A new consumer of the group (as after a restart) gets the redelivery, counted.
    try (Receiver r = transport.receive(new ReceiveSpec(topic, group, 10, false), q::add)) {
      TransportDelivery again = take(q, 1).get(0);
      long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nacked);
      assertEquals("m-1", again.message().id());
      assertEquals(2, again.deliveryCount(), "the delivery count did not survive the consumer restart");
      assertTrue(waited >= 1400, "redelivered after " + waited + " ms; the nack asked for 1500 ms");
      assertTrue(again.message().headers().names().stream().noneMatch(n -> n.startsWith("courier-")),
          "the adapter's own headers leaked into the message: " + again.message().headers().names());
      again.ack();
    }
  }

  @Test
  @DisplayName("a redelivery's copy in the delay topic is timestamped when written (the delay topic's retention counts"
      + " from it), and the redelivered message keeps its own, older timestamp")
  void redeliveryCopyIsTimestampedNow() throws Exception {
    String topic = unique("stamp");
    String group = unique("g");
    transport.ensureGroup(topic, group);
    Instant old = Instant.now().minus(Duration.ofDays(2)).truncatedTo(ChronoUnit.MILLIS);
    transport.send(topic, Message.builder().id("old").timestamp(old).payload(new byte[] {1}).build()).join();
    LinkedBlockingQueue<TransportDelivery> q = new LinkedBlockingQueue<>();
    try (Receiver r = transport.receive(new ReceiveSpec(topic, group, 10, false), q::add)) {
      long nackedAt = System.currentTimeMillis();
      take(q, 1).get(0).nack(Duration.ofMillis(200));
      TransportDelivery again = take(q, 1).get(0);
      assertEquals(old, again.message().timestamp(), "the redelivered message lost its own timestamp");
      again.ack();
      long copyStamp = probe.record(KafkaTransport.delayTopic(topic, group), 0, 0).timestamp();
      assertTrue(copyStamp >= nackedAt - 1_000, "the copy was timestamped " + Instant.ofEpochMilli(copyStamp)
          + ", not when it was written (nacked at " + Instant.ofEpochMilli(nackedAt) + ")");
    }
  }

  @Test
  @DisplayName("a group already consuming one topic, subscribed to a second topic, starts there at the end, not at its history")
  void groupOnSecondTopicStartsAtTheEnd() throws Exception {
    String first = unique("first");
    String second = unique("second");
    String group = unique("g");
    transport.ensureGroup(first, group);
    LinkedBlockingQueue<TransportDelivery> q = new LinkedBlockingQueue<>();
    try (Receiver active = transport.receive(new ReceiveSpec(first, group, 10, false), d -> {})) {
      transport.ensureTopic(second);
      publish(second, 3); // before the group exists on the second topic: history it must not get
      try (Receiver r = transport.receive(new ReceiveSpec(second, group, 10, false), q::add)) {
        transport.send(second, Message.builder().id("after").payload(new byte[] {9}).build()).join();
        TransportDelivery d = take(q, 1).get(0);
        assertEquals("after", d.message().id(), "the group got the second topic's history first (seq "
            + d.message().headers().get("seq").orElse("?") + "): its Kafka group is shared with the first topic");
        assertTrue(Poll.holdsFor(Duration.ofMillis(500), q::isEmpty), "more than the one message arrived");
        d.ack();
      }
    }
  }

  @Test
  @DisplayName("on revocation, deliveries handed over whose handlers have not started are withdrawn; a started one is not, and everything is read again by the new owners")
  void revocationWithdrawsUnstartedDeliveries() throws Exception {
    try (KafkaTransport two = KafkaTestSupport.transport().partitions(2).revokeTimeout(Duration.ofSeconds(1)).build()) {
      String topic = unique("revoke");
      String group = unique("g");
      two.ensureGroup(topic, group);
      List<CompletableFuture<Void>> sent = new ArrayList<>();
      for (int i = 0; i < 10; i++) { // no key: spread over both partitions
        sent.add(two.send(topic, Message.builder().id("r-" + i).payload(new byte[] {(byte) i}).build()));
      }
      CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).join();
      LinkedBlockingQueue<TransportDelivery> again = new LinkedBlockingQueue<>();
      LinkedBlockingQueue<TransportDelivery> q = new LinkedBlockingQueue<>();
      AtomicInteger handed = new AtomicInteger();
      try (Receiver r1 = two.receive(new ReceiveSpec(topic, group, 100, false),
          d -> (handed.incrementAndGet() <= 10 ? q : again).add(d))) {
        List<TransportDelivery> first = take(q, 10);
        TransportDelivery running = first.get(0);
        assertTrue(running.tryStart(), "a delivery not yet revoked was withdrawn");
        // A second member joins: the eager rebalance revokes every partition of the first.
        try (Receiver r2 = two.receive(new ReceiveSpec(topic, group, 100, false), again::add)) {
          for (TransportDelivery d : first.subList(1, 10)) {
            assertTrue(d.isWithdrawn(), d + " was not withdrawn although its partition was revoked before its handler started");
          }
          assertFalse(running.isWithdrawn(), "a delivery whose handler had started was withdrawn");
          running.ack();
          List<String> reread = new ArrayList<>();
          for (TransportDelivery d : take(again, 10)) { // the started one too: acked after its partition was revoked
            reread.add(d.message().id());
            d.ack();
          }
          for (TransportDelivery d : first.subList(1, 10)) {
            assertTrue(reread.contains(d.message().id()), d.message().id() + " was withdrawn but not read again: " + reread);
          }
        }
      }
    }
  }

  @Test
  @DisplayName("backlog and peek include the group's redeliveries waiting in its delay topic")
  void backlogAndPeekIncludeTheDelayTopic() throws Exception {
    String topic = unique("backlog");
    String group = unique("g");
    transport.ensureGroup(topic, group);
    transport.send(topic, Message.builder().id("m-d").payload(new byte[] {1}).build()).join();
    LinkedBlockingQueue<TransportDelivery> q = new LinkedBlockingQueue<>();
    try (Receiver r = transport.receive(new ReceiveSpec(topic, group, 10, false), q::add)) {
      take(q, 1).get(0).nack(Duration.ofMinutes(5));
      assertTrue(Poll.until(Duration.ofSeconds(10), () -> probe.committed(group, topic, 0) == 1),
          "the original's offset was not committed once its redelivery was stored");
    }
    assertEquals(1, transport.backlog(topic, group).getAsLong(), "the waiting redelivery is part of the group's backlog");
    assertEquals(List.of("m-d"), transport.peek(topic, group, 10).stream().map(Message::id).toList(),
        "peek shows the waiting redelivery");
  }

  @Test
  @DisplayName("a partition stops being fetched while its records pile up behind one unsettled record, and flows again once it settles")
  void stuckRecordBoundsTracking() throws Exception {
    String topic = unique("stuck");
    String group = unique("g");
    transport.ensureGroup(topic, group);
    publish(topic, 80);
    LinkedBlockingQueue<TransportDelivery> q = new LinkedBlockingQueue<>();
    try (Receiver r = transport.receive(new ReceiveSpec(topic, group, 2, false), q::add)) {
      TransportDelivery stuck = take(q, 1).get(0);
      int received = 1;
      TransportDelivery d;
      while ((d = q.poll(1500, TimeUnit.MILLISECONDS)) != null) {
        received++;
        d.ack();
      }
      assertTrue(received <= 10 * 2 + 4, received + " records were handed over behind one unsettled record; "
          + "the partition should pause at about 10 x maxInFlight (2)");
      stuck.ack();
      while (received < 80) {
        d = q.poll(10, TimeUnit.SECONDS);
        assertTrue(d != null, "deliveries stopped after " + received + " of 80 although the stuck record settled");
        received++;
        d.ack();
      }
    }
  }

  @Test
  @DisplayName("a released delivery is read again from its partition, uncounted, without a copy in the delay topic,"
      + " even when its partition was paused for the records behind it")
  void releasedStuckRecordIsReadAgain() throws Exception {
    String topic = unique("stuckrelease");
    String group = unique("g");
    transport.ensureGroup(topic, group);
    publish(topic, 30);
    LinkedBlockingQueue<TransportDelivery> q = new LinkedBlockingQueue<>();
    try (Receiver r = transport.receive(new ReceiveSpec(topic, group, 2, false), q::add)) {
      TransportDelivery stuck = take(q, 1).get(0);
      for (int i = 0; i < 20; i++) {
        take(q, 1).get(0).ack(); // 21 read from the unsettled first on: over 10 x maxInFlight (2), the partition pauses
      }
      stuck.release(); // as the core does on overflow
      int others = 0;
      while (true) {
        TransportDelivery d = q.poll(10, TimeUnit.SECONDS);
        assertTrue(d != null, "the released record was not read again within 10 s: its partition stays paused");
        d.ack();
        if ("0".equals(d.message().headers().get("seq").orElse("?"))) {
          assertEquals(1, d.deliveryCount(), "a release must not count as a delivery");
          break;
        }
        others++;
        assertTrue(others <= 9, "more records than published were handed over");
      }
      for (int i = others; i < 9; i++) {
        take(q, 1).get(0).ack();
      }
      assertTrue(Poll.holdsFor(Duration.ofMillis(500), q::isEmpty), "records already settled were handed over again");
      assertEquals(0, probe.endOffset(KafkaTransport.delayTopic(topic, group), 0), "the release went through the delay topic");
      assertTrue(Poll.until(Duration.ofSeconds(10), () -> probe.committed(group, topic, 0) == 30),
          "after every record settled the commit should be 30, was " + probe.committed(group, topic, 0));
    }
  }

  @Test
  @DisplayName("courier-due and courier-delivery-count headers on a source-topic record are not trusted: it comes at once, as a first delivery")
  void sourceTopicRedeliveryHeadersIgnored() throws Exception {
    String topic = unique("forged");
    String group = unique("g");
    transport.ensureGroup(topic, group);
    transport.send(topic, Message.builder().id("m-f").payload(new byte[] {1})
        .header(RecordMapper.DUE, Long.toString(System.currentTimeMillis() + 3_600_000))
        .header(RecordMapper.DELIVERY_COUNT, "7").build()).join();
    LinkedBlockingQueue<TransportDelivery> q = new LinkedBlockingQueue<>();
    try (Receiver r = transport.receive(new ReceiveSpec(topic, group, 10, false), q::add)) {
      TransportDelivery d = q.poll(10, TimeUnit.SECONDS);
      assertTrue(d != null, "a record with a due-time header on the source topic was held back");
      assertEquals(1, d.deliveryCount(), "the delivery count came from a header on the source topic");
      d.ack();
    }
  }

  @Test
  @DisplayName("a delay topic shared by two groups' names: each group skips the other's redeliveries")
  void foreignDelayRecordsSkipped() throws Exception {
    String topic = unique("shared");
    String group = unique("g");
    String delay = KafkaTransport.delayTopic(topic, group);
    transport.ensureGroup(topic, group);
    LinkedBlockingQueue<TransportDelivery> q = new LinkedBlockingQueue<>();
    try (Receiver r = transport.receive(new ReceiveSpec(topic, group, 10, false), q::add)) {
      transport.send(delay, Message.builder().id("theirs").payload(new byte[] {1})
          .header(RecordMapper.DELAY_GROUP, "other@" + topic + ".x").build()).join();
      transport.send(delay, Message.builder().id("ours").payload(new byte[] {2})
          .header(RecordMapper.DELAY_GROUP, KafkaTransport.groupId(topic, group)).build()).join();
      TransportDelivery d = take(q, 1).get(0);
      assertEquals("ours", d.message().id(), "another group's redelivery was handed to this group");
      d.ack();
      assertTrue(Poll.until(Duration.ofSeconds(10), () -> probe.committedIn(KafkaTransport.groupId(topic, group), delay, 0) == 2),
          "the skipped record should be committed past");
    }
  }

  @Test
  @DisplayName("a redelivery whose republish failed is retried with the nack's delay kept, and arrives once the delay topic accepts it")
  void failedRepublishKeepsItsDelay() throws Exception {
    String topic = unique("retry");
    String group = unique("g");
    transport.ensureGroup(topic, group);
    transport.send(topic, Message.builder().id("m-big").payload(new byte[4096]).build()).join();
    LinkedBlockingQueue<TransportDelivery> q = new LinkedBlockingQueue<>();
    try (Receiver r = transport.receive(new ReceiveSpec(topic, group, 10, false), q::add)) {
      String delay = KafkaTransport.delayTopic(topic, group);
      probe.setTopicConfig(delay, "max.message.bytes", "1024"); // the copy is refused: RecordTooLargeException
      TransportDelivery first = take(q, 1).get(0);
      long nacked = System.nanoTime();
      first.nack(Duration.ofSeconds(3));
      assertTrue(Poll.holdsFor(Duration.ofMillis(700), () -> probe.endOffset(delay, 0) == 0),
          "the delay topic took a record larger than its limit");
      probe.setTopicConfig(delay, "max.message.bytes", "1048588");
      TransportDelivery again = q.poll(15, TimeUnit.SECONDS);
      long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nacked);
      assertTrue(again != null, "the redelivery never arrived after the delay topic accepted it");
      assertEquals("m-big", again.message().id());
      assertEquals(2, again.deliveryCount());
      assertTrue(waited >= 2900, "redelivered " + waited + " ms after a nack asking for 3000 ms: the retry lost the delay");
      again.ack();
    }
  }

  @Test
  @DisplayName("a redelivery held for a long delay does not pin its delay partition: after the subscription closes and"
      + " reopens, the redeliveries behind it that were already handled are not handled again, and it still comes when due")
  void longHeldRedeliveryDoesNotPinTheDelayTopic() throws Exception {
    String topic = unique("pin");
    String group = unique("g");
    LinkedBlockingQueue<TransportDelivery> q = new LinkedBlockingQueue<>();
    long longDue;
    try (Receiver r = transport.receive(publishLongAndFive(topic, group), q::add)) {
      longDue = holdLongBehindFiveHandled(q, Duration.ofSeconds(15));
      assertTrue(Poll.until(Duration.ofSeconds(10), () -> probe.committed(group, topic, 0) == 6),
          "the originals' offsets were not committed once their redeliveries were stored");
    }
    try (Receiver r = transport.receive(new ReceiveSpec(topic, group, 10, false), q::add)) {
      assertOnlyTheLongComesWhenDue(q, longDue, topic, group, "after reopening");
    }
  }

  @Test
  @DisplayName("beyond max-delayed-held the farthest-due redeliveries go back to the tail of the delay topic: a short"
      + " redelivery behind them still arrives promptly")
  void fullDelayTopicDoesNotHoldBackAShortRedelivery() throws Exception {
    try (KafkaTransport small = KafkaTestSupport.transport().partitions(1).maxDelayedHeld(3).build()) {
      String topic = unique("full");
      String group = unique("g");
      String delay = KafkaTransport.delayTopic(topic, group);
      small.ensureGroup(topic, group);
      List<CompletableFuture<Void>> sent = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        sent.add(small.send(topic, Message.builder().id(i < 5 ? "far-" + i : "short").payload(new byte[] {1}).build()));
      }
      CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).join();
      LinkedBlockingQueue<TransportDelivery> q = new LinkedBlockingQueue<>();
      try (Receiver r = small.receive(new ReceiveSpec(topic, group, 10, false), q::add)) {
        List<TransportDelivery> got = take(q, 6);
        for (int i = 0; i < 5; i++) {
          got.get(i).nack(Duration.ofMinutes(5));
        }
        assertTrue(Poll.until(Duration.ofSeconds(10), () -> probe.endOffset(delay, 0) >= 5),
            "the five far redeliveries were not stored");
        long start = System.nanoTime();
        got.get(5).nack(Duration.ofMillis(300));
        TransportDelivery d = q.poll(15, TimeUnit.SECONDS);
        long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(d != null, "the 300 ms redelivery did not arrive within 15 s behind 5 far ones with max-delayed-held 3");
        assertEquals("short", d.message().id(), "a far redelivery arrived early");
        assertTrue(waited < 6_000, "the 300 ms redelivery took " + waited + " ms behind 5 far ones with max-delayed-held 3");
        d.ack();
        assertTrue(probe.endOffset(delay, 0) > 6, "no far redelivery was copied to the tail");
        assertTrue(Poll.holdsFor(Duration.ofMillis(500), q::isEmpty), "a far redelivery arrived early");
      }
    }
  }

  @Test
  @DisplayName("a redelivery held for a long delay does not pin its delay partition across a rebalance: when a second"
      + " member joins, the redeliveries behind it already handled are not handled again, and it comes once when due")
  void longHeldRedeliverySurvivesARebalance() throws Exception {
    String topic = unique("pinrebalance");
    String group = unique("g");
    LinkedBlockingQueue<TransportDelivery> q = new LinkedBlockingQueue<>();
    try (Receiver r1 = transport.receive(publishLongAndFive(topic, group), q::add)) {
      long longDue = holdLongBehindFiveHandled(q, Duration.ofSeconds(15));
      // A second member joins: the rebalance revokes the first one's partitions.
      try (Receiver r2 = transport.receive(new ReceiveSpec(topic, group, 10, false), q::add)) {
        assertOnlyTheLongComesWhenDue(q, longDue, topic, group, "after the rebalance");
      }
    }
  }

  @Test
  @DisplayName("a redelivery that comes due after stopFetching is neither handed over nor dropped: close relays it, so"
      + " the redeliveries behind it already handled are not handled again after reopening, and it comes once")
  void redeliveryDueAfterStopFetchingIsRelayedOnClose() throws Exception {
    String topic = unique("stopheld");
    String group = unique("g");
    LinkedBlockingQueue<TransportDelivery> q = new LinkedBlockingQueue<>();
    try (Receiver r = transport.receive(publishLongAndFive(topic, group), q::add)) {
      long longDue = holdLongBehindFiveHandled(q, Duration.ofSeconds(5));
      assertTrue(System.currentTimeMillis() < longDue - 500, "the set-up took too long to stop before the long one was due");
      r.stopFetching();
      long afterDue = longDue + 1_000; // a few poll rounds with the long redelivery due while stopped
      assertTrue(Poll.holdsFor(Duration.ofMillis(Math.max(1, afterDue - System.currentTimeMillis())), q::isEmpty),
          "a redelivery was handed over after stopFetching");
    }
    try (Receiver r = transport.receive(new ReceiveSpec(topic, group, 10, false), q::add)) {
      TransportDelivery again = q.poll(15, TimeUnit.SECONDS);
      assertTrue(again != null, "the long redelivery was lost after stopFetching and close");
      assertEquals("long", again.message().id(), "another record came before the long redelivery");
      assertEquals(2, again.deliveryCount());
      again.ack();
      assertTrue(Poll.holdsFor(Duration.ofSeconds(1), q::isEmpty), "records already handled were handed again ("
          + q.peek() + "): the long redelivery pinned the delay partition's commit at " + probe.committedIn(
          KafkaTransport.groupId(topic, group), KafkaTransport.delayTopic(topic, group), 0));
    }
  }

  /** Publishes "long" and five more to a new group on {@code topic}; returns the spec to receive them. */
  private static ReceiveSpec publishLongAndFive(String topic, String group) {
    transport.ensureGroup(topic, group);
    transport.send(topic, Message.builder().id("long").payload(new byte[] {0}).build()).join();
    publish(topic, 5);
    return new ReceiveSpec(topic, group, 10, false);
  }

  /**
   * Nacks "long" for {@code delay} (held in memory at offset 0 of the delay partition), the five
   * others for 200 ms (through the delay topic behind it, offsets 1..5), and acks their
   * redeliveries; returns the time "long" is due, without waiting for it.
   */
  private static long holdLongBehindFiveHandled(LinkedBlockingQueue<TransportDelivery> q, Duration delay)
      throws InterruptedException {
    TransportDelivery first = take(q, 1).get(0);
    assertEquals("long", first.message().id());
    long longDue = System.currentTimeMillis() + delay.toMillis();
    first.nack(delay);
    for (TransportDelivery d : take(q, 5)) {
      d.nack(Duration.ofMillis(200));
    }
    for (TransportDelivery d : take(q, 5)) {
      assertFalse("long".equals(d.message().id()), "the long redelivery came due (" + delay + ") before the short ones");
      assertEquals(2, d.deliveryCount(), d + " should be the redelivery of a short nack");
      d.ack();
    }
    return longDue;
  }

  /** Nothing comes until "long" is due; then "long" comes once, as delivery 2, and nothing after it. */
  private static void assertOnlyTheLongComesWhenDue(LinkedBlockingQueue<TransportDelivery> q, long longDue,
      String topic, String group, String when) throws InterruptedException {
    TransportDelivery d = q.poll(Math.max(1, longDue - System.currentTimeMillis() - 500), TimeUnit.MILLISECONDS);
    assertTrue(d == null, when + ", " + d + " (" + (d == null ? "" : d.message().id()) + ") was handed again"
        + " before the long redelivery was due: the held long redelivery pinned the delay partition's commit at "
        + probe.committedIn(KafkaTransport.groupId(topic, group), KafkaTransport.delayTopic(topic, group), 0));
    TransportDelivery again = take(q, 1).get(0);
    assertEquals("long", again.message().id(), "the long redelivery was lost or another record came instead");
    assertEquals(2, again.deliveryCount(), "the held redelivery's count was not kept");
    assertTrue(System.currentTimeMillis() >= longDue - 100, "the held redelivery came before it was due");
    again.ack();
    assertTrue(Poll.holdsFor(Duration.ofMillis(500), q::isEmpty), "records already handled were handed again");
  }
}
