package dev.courier.bench;

import dev.courier.Courier;
import dev.courier.Message;
import dev.courier.Publisher;
import dev.courier.Subscription;
import dev.courier.SubscriptionOptions;
import dev.courier.bench.Comparison.Result;
import dev.courier.config.CourierConfig;
import dev.courier.testsupport.FauxqsServer;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;

/**
 * The same workload through Courier's SQS adapter (queue topology) and through the raw AWS SDK v2,
 * against the same SQS server (fauxqs, started by this benchmark on loopback) in the same run: N
 * messages of 1 KiB. Raw: {@value #SENDERS} threads sending {@code SendMessageBatch} of 10, at most
 * {@value #WINDOW} unconfirmed; {@value #POLLERS} threads receiving 10 with long polling, handling
 * each message in the polling thread and deleting each receive's messages with one
 * {@code DeleteMessageBatch}. Courier: publishes (batched by the adapter, up to 4 calls in flight),
 * at most {@value #WINDOW} unconfirmed; a subscription with {@value #POLLERS} pollers and
 * {@value #POLLERS} handler threads (batched deletes by the adapter).
 * <ul>
 *   <li>publish: N messages with nobody consuming, until every send is confirmed;
 *   <li>end-to-end: N messages published while a consumer handles them, until the last is
 *       handled; latency is publish → handler.
 * </ul>
 * Each side runs three times, alternating; the best run of each counts (the machine is shared).
 */
public final class SqsBench {
  private static final int PAYLOAD_BYTES = 1024;
  private static final int WINDOW = 2_000;
  private static final int SENDERS = 4;
  private static final int POLLERS = 2;
  private static final int ROUNDS = Integer.getInteger("bench.rounds", 3);

  private SqsBench() {}

  public static void main(String[] args) throws Exception {
    System.setProperty("org.slf4j.simpleLogger.log.software.amazon", "warn");
    Path out = Path.of(args[1]);
    int messages = args.length > 2 ? Integer.parseInt(args[2]) : 20_000;
    try (FauxqsServer server = FauxqsServer.started()) {
      String endpoint = server.endpoint();
      System.out.println("SQS: " + server);
      try (SqsClient sqs = SqsClient.builder().httpClient(UrlConnectionHttpClient.create()).region(Region.US_EAST_1)
          .endpointOverride(URI.create(endpoint))
          .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("bench", "bench"))).build()) {
        raw(sqs, 2_000);
        courier(endpoint, 2_000);
        Result raw = raw(sqs, messages);
        Result courier = courier(endpoint, messages);
        for (int round = 1; round < ROUNDS; round++) {
          raw = raw.best(raw(sqs, messages));
          courier = courier.best(courier(endpoint, messages));
        }
        Comparison.report("sqs", "raw AWS SDK v2", messages, PAYLOAD_BYTES, raw, courier,
            Map.of("pollers", POLLERS, "publishWindow", WINDOW), out);
      }
    }
  }

  // ---- Courier -------------------------------------------------------------------------------

  static Result courier(String endpoint, int messages) throws Exception {
    String topic = "bench-courier-" + UUID.randomUUID();
    try (Courier courier = Courier.fromConfig(CourierConfig.builder()
        .set("courier.broker", "sqs")
        .set("courier.sqs.topology", "queue")
        .set("courier.sqs.endpoint", endpoint)
        .set("courier.sqs.access-key-id", "bench")
        .set("courier.sqs.secret-access-key", "bench")
        .set("courier.sqs.pollers", Integer.toString(POLLERS))
        .set("courier.sqs.wait-time", "1s")
        .set("courier.publish-timeout", "60s")
        .build())) {
      Publisher publisher = courier.publisher();
      courier.admin().ensureTopic(topic);
      byte[] payload = new byte[PAYLOAD_BYTES];
      Semaphore window = new Semaphore(WINDOW);
      AtomicBoolean failed = new AtomicBoolean();
      long start = System.nanoTime();
      for (int i = 0; i < messages; i++) {
        window.acquire();
        publisher.publish(topic, Message.builder().payload(payload).build()).whenComplete((ok, e) -> {
          if (e != null) {
            failed.set(true);
          }
          window.release();
        });
      }
      window.acquire(WINDOW);
      window.release(WINDOW);
      double publishRate = messages / ((System.nanoTime() - start) / 1e9);
      check(!failed.get(), "courier publish: a publish failed");

      String topic2 = topic + "-e2e";
      courier.admin().ensureGroup(topic2, "g");
      long[] sentAt = new long[messages];
      long[] latency = new long[messages];
      CountDownLatch done = new CountDownLatch(messages);
      double rate;
      try (Subscription s = courier.subscribe(SubscriptionOptions.builder(topic2, "g").concurrency(POLLERS)
          .maxInFlight(64).build(), d -> {
            int i = d.message().payloadBuffer().getInt(0);
            latency[i] = System.nanoTime() - sentAt[i];
            done.countDown();
          })) {
        start = System.nanoTime();
        for (int i = 0; i < messages; i++) {
          ByteBuffer.wrap(payload).putInt(0, i);
          window.acquire();
          sentAt[i] = System.nanoTime();
          publisher.publish(topic2, Message.builder().payload(payload).build()).whenComplete((ok, e) -> window.release());
        }
        check(done.await(600, TimeUnit.SECONDS), "courier end-to-end: " + done.getCount() + " left");
        rate = messages / ((System.nanoTime() - start) / 1e9);
      }
      window.acquire(WINDOW);
      window.release(WINDOW);
      return Result.of(publishRate, rate, latency);
    }
  }

  // ---- raw AWS SDK v2 -------------------------------------------------------------------------

  static Result raw(SqsClient sqs, int messages) throws Exception {
    String name = "bench-raw-" + UUID.randomUUID();
    String url = sqs.createQueue(r -> r.queueName(name)).queueUrl();
    String url2 = sqs.createQueue(r -> r.queueName(name + "-e2e")).queueUrl();
    long[] sentAt = new long[messages];
    long start = System.nanoTime();
    send(sqs, url, messages, null);
    double publishRate = messages / ((System.nanoTime() - start) / 1e9);

    long[] latency = new long[messages];
    CountDownLatch done = new CountDownLatch(messages);
    AtomicBoolean stop = new AtomicBoolean();
    List<Thread> pollers = new ArrayList<>();
    for (int p = 0; p < POLLERS; p++) {
      Thread t = new Thread(() -> poll(sqs, url2, sentAt, latency, done, stop), "raw-bench-poll-" + p);
      t.start();
      pollers.add(t);
    }
    start = System.nanoTime();
    send(sqs, url2, messages, sentAt);
    check(done.await(600, TimeUnit.SECONDS), "raw end-to-end: " + done.getCount() + " left");
    double rate = messages / ((System.nanoTime() - start) / 1e9);
    stop.set(true);
    for (Thread t : pollers) {
      t.join(30_000);
    }
    return Result.of(publishRate, rate, latency);
  }

  /** {@value #SENDERS} threads sending batches of 10, each message's index in its first 4 bytes. */
  private static void send(SqsClient sqs, String url, int messages, long[] sentAt) throws InterruptedException {
    AtomicInteger next = new AtomicInteger();
    AtomicBoolean failed = new AtomicBoolean();
    List<Thread> senders = new ArrayList<>();
    for (int s = 0; s < SENDERS; s++) {
      Thread t = new Thread(() -> {
        byte[] payload = new byte[PAYLOAD_BYTES];
        for (int first; (first = next.getAndAdd(10)) < messages; ) {
          List<SendMessageBatchRequestEntry> entries = new ArrayList<>(10);
          for (int i = first; i < Math.min(messages, first + 10); i++) {
            ByteBuffer.wrap(payload).putInt(0, i);
            if (sentAt != null) {
              sentAt[i] = System.nanoTime();
            }
            entries.add(SendMessageBatchRequestEntry.builder().id(Integer.toString(i - first))
                .messageBody(Base64.getEncoder().encodeToString(payload)).build());
          }
          if (!sqs.sendMessageBatch(r -> r.queueUrl(url).entries(entries)).failed().isEmpty()) {
            failed.set(true);
          }
        }
      }, "raw-bench-send-" + s);
      t.start();
      senders.add(t);
    }
    for (Thread t : senders) {
      t.join();
    }
    check(!failed.get(), "raw publish: an entry failed");
  }

  private static void poll(SqsClient sqs, String url, long[] sentAt, long[] latency, CountDownLatch done,
      AtomicBoolean stop) {
    while (!stop.get()) {
      var received = sqs.receiveMessage(r -> r.queueUrl(url).maxNumberOfMessages(10).waitTimeSeconds(1)).messages();
      if (received.isEmpty()) {
        continue;
      }
      List<DeleteMessageBatchRequestEntry> deletes = new ArrayList<>(received.size());
      for (var m : received) {
        int i = ByteBuffer.wrap(Base64.getDecoder().decode(m.body().getBytes(StandardCharsets.US_ASCII))).getInt(0);
        latency[i] = System.nanoTime() - sentAt[i];
        done.countDown();
        deletes.add(DeleteMessageBatchRequestEntry.builder().id(Integer.toString(deletes.size()))
            .receiptHandle(m.receiptHandle()).build());
      }
      sqs.deleteMessageBatch(r -> r.queueUrl(url).entries(deletes));
    }
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new IllegalStateException(message);
    }
  }
}
