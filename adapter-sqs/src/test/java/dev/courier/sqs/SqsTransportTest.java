package dev.courier.sqs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.IncompatibleGroupException;
import dev.courier.Message;
import dev.courier.PublishException;
import dev.courier.spi.ReceiveSpec;
import dev.courier.spi.Receiver;
import dev.courier.spi.TransportDelivery;
import dev.courier.sqs.internal.QueueDirectory;
import dev.courier.sqs.internal.SendBatcher;
import dev.courier.sqs.internal.WireFormat;
import dev.courier.testsupport.ElasticMqServer;
import dev.courier.testsupport.Poll;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

@DisplayName("SQS transport on ElasticMQ")
class SqsTransportTest {
  private final ElasticMqServer server = ElasticMqServer.shared();
  private SqsTransport transport;
  private SqsClient raw;

  private SqsTransport transport(SqsSettings.Builder b) {
    transport = SqsTransport.create(b.build());
    return transport;
  }

  private SqsClient raw() {
    raw = SqsClient.builder().httpClient(UrlConnectionHttpClient.create()).region(Region.US_EAST_1)
        .endpointOverride(URI.create(server.endpoint()))
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"))).build();
    return raw;
  }

  @AfterEach
  void close() {
    if (transport != null) {
      transport.close();
    }
    if (raw != null) {
      raw.close();
    }
  }

  private static String name(String purpose) {
    return "t-" + purpose + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xFFFFFFFFFFL);
  }

  private static TransportDelivery take(LinkedBlockingQueue<TransportDelivery> in, String what)
      throws InterruptedException {
    TransportDelivery d = in.poll(15, TimeUnit.SECONDS);
    assertNotNull(d, "no delivery of " + what + " within 15 s");
    return d;
  }

  @Test
  @DisplayName("in queue topology a second group on a topic fails with IncompatibleGroupException; a dead-letter topic serves several groups, each getting every dead letter")
  void secondGroupFails() throws Exception {
    SqsTransport t = transport(SqsTestSupport.settings(server));
    String topic = name("owned");
    t.ensureGroup(topic, "first");
    t.ensureGroup(topic, "first"); // idempotent
    IncompatibleGroupException e = assertThrows(IncompatibleGroupException.class, () -> t.ensureGroup(topic, "second"));
    assertTrue(e.getMessage().contains("first") && e.getMessage().contains("second"), e.getMessage());

    String dlq = t.naming().deadLetterTopic(topic, "first");
    LinkedBlockingQueue<TransportDelivery> a = new LinkedBlockingQueue<>();
    LinkedBlockingQueue<TransportDelivery> b = new LinkedBlockingQueue<>();
    t.receive(new ReceiveSpec(dlq, t.naming().deadLetterGroup(), 8, false), a::add);
    t.receive(new ReceiveSpec(dlq, "observer", 8, false), b::add);
    Message m = Message.builder().payload(new byte[] {1}).build();
    t.send(dlq, m).get(10, TimeUnit.SECONDS);
    assertEquals(m.id(), take(a, "the dead letter (admin group)").message().id());
    assertEquals(m.id(), take(b, "the dead letter (observer group)").message().id());
  }

  @Test
  @DisplayName("15 headers travel as 9 native attributes (traceparent first) plus the packed rest, and come back whole")
  void headersBeyondTen() throws Exception {
    SqsTransport t = transport(SqsTestSupport.settings(server));
    String topic = name("headers");
    t.ensureGroup(topic, "g");
    Message.Builder mb = Message.builder().payload("x".getBytes());
    for (int i = 0; i < 13; i++) {
      mb.header("h" + i, "v" + i);
    }
    Message m = mb.header("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
        .header("tracestate", "vendor=1").build();
    t.send(topic, m).get(10, TimeUnit.SECONDS);
    SqsClient sqs = raw();
    String url = sqs.getQueueUrl(r -> r.queueName(topic)).queueUrl();
    var received = sqs.receiveMessage(r -> r.queueUrl(url).messageAttributeNames("All").waitTimeSeconds(5)
        .visibilityTimeout(0)).messages();
    assertEquals(1, received.size());
    Map<String, ?> attributes = received.get(0).messageAttributes();
    assertEquals(10, attributes.size(), "attributes on the wire: " + attributes.keySet());
    assertTrue(attributes.containsKey("traceparent") && attributes.containsKey("tracestate"), attributes.keySet()::toString);

    LinkedBlockingQueue<TransportDelivery> in = new LinkedBlockingQueue<>();
    t.receive(new ReceiveSpec(topic, "g", 4, false), in::add);
    TransportDelivery d = take(in, "the message with 15 headers");
    assertEquals(m.headers(), d.message().headers());
    d.ack();
  }

  @Test
  @DisplayName("a delayed publish longer than SQS's own delay limit arrives on time, as a first delivery (shortened: 1 s limit, 3.5 s delay)")
  void longDelayHops() throws Exception {
    SqsTransport t = transport(SqsTestSupport.settings(server).nativeDelayLimit(Duration.ofSeconds(1)));
    String topic = name("delayed");
    t.ensureGroup(topic, "g");
    LinkedBlockingQueue<TransportDelivery> in = new LinkedBlockingQueue<>();
    t.receive(new ReceiveSpec(topic, "g", 4, false), in::add);
    Message m = Message.builder().payload("later".getBytes()).build();
    long start = System.nanoTime();
    t.sendDelayed(topic, m, Duration.ofMillis(3500)).get(10, TimeUnit.SECONDS);
    TransportDelivery d = take(in, "the delayed message");
    long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertEquals(m.id(), d.message().id());
    assertTrue(waited >= 3500, "arrived after " + waited + " ms, before its 3500 ms");
    assertTrue(waited < 8000, "arrived after " + waited + " ms, late");
    assertEquals(1, d.deliveryCount(), "the early receives that hid it again must not count as deliveries");
    d.ack();
  }

  @Test
  @DisplayName("a nack whose delay would end beyond SQS's visibility cap (12 h from the receive; shortened to 2 s) travels as a delayed copy and comes back when due, counted once")
  void nackBeyondVisibilityCap() throws Exception {
    SqsTransport t = transport(SqsTestSupport.settings(server).visibilityTimeout(Duration.ofSeconds(2))
        .maxVisibility(Duration.ofSeconds(2)));
    String topic = name("cap");
    t.ensureGroup(topic, "g");
    LinkedBlockingQueue<TransportDelivery> in = new LinkedBlockingQueue<>();
    t.receive(new ReceiveSpec(topic, "g", 4, false), in::add);
    Message m = Message.builder().payload("x".getBytes()).build();
    t.send(topic, m).get(10, TimeUnit.SECONDS);
    TransportDelivery d = take(in, "the message");
    assertTrue(d.tryStart());
    long nacked = System.nanoTime();
    d.nack(Duration.ofSeconds(3));
    SqsClient sqs = raw();
    String url = sqs.getQueueUrl(r -> r.queueName(topic)).queueUrl();
    // A visibility change would leave it in flight; the copy waits as a delayed message.
    assertTrue(Poll.until(Duration.ofSeconds(2), () -> "1".equals(sqs.getQueueAttributes(r -> r.queueUrl(url)
            .attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_DELAYED)).attributes()
            .get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_DELAYED))),
        "the nacked message did not become a delayed copy");
    TransportDelivery again = take(in, "the redelivery");
    long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nacked);
    assertEquals(List.of(m.id(), 2), List.of(again.message().id(), again.deliveryCount()));
    assertTrue(waited >= 3000, "came back after " + waited + " ms, before its 3 s delay");
    again.ack();
  }

  @Test
  @DisplayName("in a batch SQS refuses one entry of, only that publish fails; the others are confirmed and arrive")
  void partialBatchFailure() throws Exception {
    SqsTransport t = transport(SqsTestSupport.settings(server));
    String topic = name("partial");
    t.ensureGroup(topic, "g");
    SqsClient sqs = raw();
    var io = Executors.newSingleThreadExecutor();
    try {
      SendBatcher batcher = new SendBatcher(new QueueDirectory(sqs, "", t.naming(), new dev.courier.sqs.internal.Fifo(java.util.Set.of()), Duration.ofSeconds(30)), io,
          1024 * 1024);
      Message good1 = Message.builder().payload("a".getBytes()).build();
      Message good2 = Message.builder().payload("b".getBytes()).build();
      WireFormat.Outgoing ok1 = WireFormat.encode(good1, WireFormat.Meta.NONE);
      WireFormat.Outgoing bad = new WireFormat.Outgoing("\u0000 not SQS text", ok1.attributes(), 20);
      WireFormat.Outgoing ok2 = WireFormat.encode(good2, WireFormat.Meta.NONE);
      CompletableFuture<Void> f1 = new CompletableFuture<>();
      CompletableFuture<Void> f2 = new CompletableFuture<>();
      CompletableFuture<Void> f3 = new CompletableFuture<>();
      io.execute(() -> { // hold the executor so the three go out in one batch
        batcher.submit(topic, new SendBatcher.Pending(good1.id(), ok1, 0, null, f1));
        batcher.submit(topic, new SendBatcher.Pending("bad", bad, 0, null, f2));
        batcher.submit(topic, new SendBatcher.Pending(good2.id(), ok2, 0, null, f3));
      });
      f1.get(10, TimeUnit.SECONDS);
      f3.get(10, TimeUnit.SECONDS);
      ExecutionException e = assertThrows(ExecutionException.class, () -> f2.get(10, TimeUnit.SECONDS));
      assertInstanceOf(PublishException.class, e.getCause());
    } finally {
      io.shutdown();
    }
    LinkedBlockingQueue<TransportDelivery> in = new LinkedBlockingQueue<>();
    Receiver r = t.receive(new ReceiveSpec(topic, "g", 4, false), in::add);
    assertEquals(2, java.util.stream.Stream.of(take(in, "first good"), take(in, "second good"))
        .peek(TransportDelivery::ack).map(d -> d.message().id()).distinct().count());
    r.close();
  }

  @Test
  @DisplayName("a delayed publish not yet due that a poll brings in after the receiver stopped fetching keeps its due time (it was sent on at once)")
  void notYetDueKeepsItsDueTimeOnStop() throws Exception {
    SqsTransport t = transport(SqsTestSupport.settings(server).nativeDelayLimit(Duration.ofSeconds(1))
        .waitTime(Duration.ofSeconds(10)).pollers(2));
    String topic = name("stopdue");
    t.ensureGroup(topic, "g");
    Message first = Message.builder().payload("now".getBytes()).build();
    t.send(topic, first).get(10, TimeUnit.SECONDS);
    LinkedBlockingQueue<TransportDelivery> in = new LinkedBlockingQueue<>();
    Receiver r = t.receive(new ReceiveSpec(topic, "g", 4, false), in::add);
    take(in, "the first message").ack(); // one poller took it; the other one is in its 10 s long poll
    r.stopFetching();
    Message later = Message.builder().payload("in an hour".getBytes()).build();
    long sentAt = System.currentTimeMillis();
    t.sendDelayed(topic, later, Duration.ofHours(1)).get(10, TimeUnit.SECONDS); // visible after 1 s, due in 1 h
    t.close(); // waits for the long poll that brings it in, and for what the receiver does with it
    transport = null;
    SqsClient sqs = raw();
    String url = sqs.getQueueUrl(q -> q.queueName(topic)).queueUrl();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    software.amazon.awssdk.services.sqs.model.Message m = null;
    while (m == null && System.nanoTime() < deadline) {
      var got = sqs.receiveMessage(q -> q.queueUrl(url).messageAttributeNames("All").waitTimeSeconds(2)
          .visibilityTimeout(30).attributeNamesWithStrings("All")).messages();
      m = got.isEmpty() ? null : got.get(0);
    }
    assertNotNull(m, "the delayed message is gone from the queue");
    WireFormat.Incoming back = WireFormat.decode(topic, m.messageId(), m.body(), m.messageAttributes(), 0);
    assertEquals(later.id(), back.message().id());
    assertTrue(back.meta().dueMillis() >= sentAt + Duration.ofMinutes(59).toMillis(),
        "the message lost its due time: " + back.meta());
  }

  @Test
  @DisplayName("a send to a dead-letter topic with no group's queue fails with PublishException (it was confirmed and kept nowhere)")
  void deadLetterWithoutQueueFails() throws Exception {
    SqsTransport t = transport(SqsTestSupport.settings(server));
    String dlq = t.naming().deadLetterTopic(name("nodlq"), "g");
    Message m = Message.builder().payload(new byte[] {1}).build();
    ExecutionException e = assertThrows(ExecutionException.class, () -> t.send(dlq, m).get(10, TimeUnit.SECONDS));
    assertInstanceOf(PublishException.class, e.getCause());
  }

  @Test
  @DisplayName("a delivery that waited for a handler just under two thirds of the visibility timeout is extended as it starts, so the core's first renewal (a third after the start) comes before it expires")
  void startExtendsAWaitedDelivery() throws Exception {
    Duration v = Duration.ofSeconds(6);
    SqsTransport t = transport(SqsTestSupport.settings(server).visibilityTimeout(v).pollers(1));
    String topic = name("start");
    t.ensureGroup(topic, "g");
    Message m = Message.builder().payload("slow to start".getBytes()).build();
    t.send(topic, m).get(10, TimeUnit.SECONDS);
    LinkedBlockingQueue<TransportDelivery> in = new LinkedBlockingQueue<>();
    long receiverStart = System.nanoTime(); // the receiver's keep-alive ticks come every v/3 from here
    t.receive(new ReceiveSpec(topic, "g", 4, false), in::add);
    TransportDelivery d = take(in, "the message");
    // Time must pass here: the delivery waits for a handler until just before the tick at 2v/3,
    // the first that would extend it (the one at v/3 finds it extended less than v/3 ago).
    long startAt = receiverStart + v.toNanos() * 2 / 3 - TimeUnit.MILLISECONDS.toNanos(300);
    Thread.sleep(Math.max(0, TimeUnit.NANOSECONDS.toMillis(startAt - System.nanoTime())));
    assertTrue(d.tryStart());
    long started = System.nanoTime();
    // The core would renew the lease at started + v/3; no one (another consumer, this receiver's
    // poller) may get the message before then, checked with a second's margin for the renewal.
    long until = started + v.toNanos() / 3 + TimeUnit.SECONDS.toNanos(1);
    SqsClient sqs = raw();
    String url = sqs.getQueueUrl(q -> q.queueName(topic)).queueUrl();
    while (System.nanoTime() < until) {
      var got = sqs.receiveMessage(q -> q.queueUrl(url).waitTimeSeconds(0).visibilityTimeout(30)).messages();
      assertTrue(got.isEmpty(), "another consumer got the message "
          + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms after its handler started");
      TransportDelivery again = in.poll(100, TimeUnit.MILLISECONDS); // also the poll interval
      assertTrue(again == null, "the receiver got the message again "
          + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms after its handler started");
    }
    d.ack();
  }

  @Test
  @DisplayName("a lease extension followed at once by a nack with a long delay: the delay holds (the extension could reach SQS after the nack, across settler threads, and shorten it to the visibility timeout)")
  void extendThenNackKeepsTheDelay() throws Exception {
    Duration v = Duration.ofSeconds(2);
    SqsTransport t = transport(SqsTestSupport.settings(server).visibilityTimeout(v));
    String topic = name("order");
    t.ensureGroup(topic, "g");
    int n = 30;
    java.util.List<CompletableFuture<Void>> sent = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      sent.add(t.send(topic, Message.builder().payload(new byte[] {(byte) i}).build()));
    }
    for (CompletableFuture<Void> f : sent) {
      f.get(10, TimeUnit.SECONDS);
    }
    LinkedBlockingQueue<TransportDelivery> in = new LinkedBlockingQueue<>();
    t.receive(new ReceiveSpec(topic, "g", n, false), in::add);
    java.util.List<TransportDelivery> all = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      TransportDelivery d = take(in, "message " + i);
      assertTrue(d.tryStart());
      all.add(d);
    }
    // As a lease renewer and handlers finishing in another order would: every extension, then the
    // nacks, last received first. Settled in batches of 10 by several threads, an extension sent in
    // a later batch than its message's nack would shorten the nack's delay to the visibility timeout.
    all.forEach(TransportDelivery::extendLease);
    for (int i = all.size() - 1; i >= 0; i--) {
      all.get(i).nack(Duration.ofMinutes(10));
    }
    long until = System.nanoTime() + v.toNanos() + TimeUnit.SECONDS.toNanos(2);
    for (long left; (left = until - System.nanoTime()) > 0; ) {
      TransportDelivery again = in.poll(left, TimeUnit.NANOSECONDS);
      assertTrue(again == null, "a message nacked for 10 minutes came back after "
          + (TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - until) + v.toMillis() + 2000) + " ms");
    }
  }
}
