package dev.courier.bench;

import dev.courier.Courier;
import dev.courier.bench.driver.Endpoint;
import dev.courier.bench.driver.Workload;
import dev.courier.config.CourierConfig;
import dev.courier.testsupport.FauxqsServer;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchResponse;

/**
 * SQS: the same workload through Courier's adapter (queue topology) and the raw AWS SDK v2,
 * against one fauxqs this benchmark starts on loopback: messages of 1 KiB, at most
 * {@value #WINDOW} unconfirmed. Raw: {@value #SENDERS} threads each taking what is queued (up to
 * 10) and sending it with {@code SendMessageBatch}; {@value #POLLERS} threads receiving 10 with
 * long polling, handling each message in the polling thread and deleting each receive's messages
 * with one {@code DeleteMessageBatch}. Courier: the adapter's batching publisher; a subscription
 * with {@value #POLLERS} pollers and {@value #POLLERS} handler threads. No peer: Spring Cloud
 * Stream has no SQS binder of its own line.
 */
public final class SqsBench {
  private static final int PAYLOAD_BYTES = 1024;
  private static final int WINDOW = 2_000;
  private static final int SENDERS = 4;
  private static final int POLLERS = 2;
  private static final Workload.Settings SETTINGS = new Workload.Settings(PAYLOAD_BYTES, WINDOW, 0, true);

  private SqsBench() {}

  public static void main(String[] args) throws Exception {
    System.setProperty("org.slf4j.simpleLogger.log.software.amazon", "warn");
    Options options = Options.parse(args, 20_000);
    try (FauxqsServer server = FauxqsServer.started()) {
      String endpoint = server.endpoint();
      System.out.println("SQS: " + server);
      SqsClient sqs = SqsClient.builder().httpClient(UrlConnectionHttpClient.create()).region(Region.US_EAST_1)
          .endpointOverride(URI.create(endpoint))
          .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("bench", "bench"))).build();
      CourierEndpoint courier = new CourierEndpoint(Courier.fromConfig(CourierConfig.builder()
          .set("courier.broker", "sqs")
          .set("courier.sqs.topology", "queue")
          .set("courier.sqs.endpoint", endpoint)
          .set("courier.sqs.access-key-id", "bench")
          .set("courier.sqs.secret-access-key", "bench")
          .set("courier.sqs.pollers", Integer.toString(POLLERS))
          .set("courier.sqs.wait-time", "1s")
          .set("courier.publish-timeout", "60s")
          .build())).subscription(b -> b.concurrency(POLLERS).maxInFlight(64));
      new Harness(options)
          .workload("payloadBytes", PAYLOAD_BYTES).workload("publishWindow", WINDOW).workload("pollers", POLLERS)
          .workload("rawSenders", SENDERS)
          .side("courier", "Courier's SQS adapter, queue topology", Harness.Side.of(courier, SETTINGS))
          .side("raw", "raw AWS SDK v2: " + SENDERS + " threads sending batches of up to 10, " + POLLERS
              + " threads receiving 10 and deleting each receive's batch", Harness.Side.of(new RawSqs(sqs), SETTINGS))
          .ratio("courierToRaw", "courier", "raw")
          .run();
    }
  }

  private record Pending(String url, byte[] payload, Endpoint.Confirm confirm) {}

  /** The raw SDK: sender threads batching whatever is queued, poller threads per consumer. */
  private static final class RawSqs implements Endpoint {
    private final SqsClient sqs;
    private final BlockingQueue<Pending> queued = new LinkedBlockingQueue<>();
    private final List<Thread> senders = new ArrayList<>();

    RawSqs(SqsClient sqs) {
      this.sqs = sqs;
      for (int s = 0; s < SENDERS; s++) {
        Thread t = new Thread(this::sendLoop, "raw-bench-send-" + s);
        t.setDaemon(true);
        t.start();
        senders.add(t);
      }
    }

    @Override
    public String create(boolean consumed) {
      String name = "bench-raw-" + UUID.randomUUID();
      return sqs.createQueue(r -> r.queueName(name)).queueUrl();
    }

    @Override
    public void publish(String url, int index, byte[] payload, Confirm confirm) {
      queued.add(new Pending(url, payload, confirm));
    }

    private void sendLoop() {
      List<Pending> batch = new ArrayList<>(10);
      try {
        while (true) {
          batch.clear();
          batch.add(queued.take());
          queued.drainTo(batch, 9);
          Map<String, List<Pending>> byQueue = new LinkedHashMap<>();
          batch.forEach(p -> byQueue.computeIfAbsent(p.url, u -> new ArrayList<>()).add(p));
          byQueue.forEach(this::send);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    private void send(String url, List<Pending> batch) {
      List<SendMessageBatchRequestEntry> entries = new ArrayList<>(batch.size());
      for (int i = 0; i < batch.size(); i++) {
        entries.add(SendMessageBatchRequestEntry.builder().id(Integer.toString(i))
            .messageBody(Base64.getEncoder().encodeToString(batch.get(i).payload)).build());
      }
      try {
        SendMessageBatchResponse response = sqs.sendMessageBatch(r -> r.queueUrl(url).entries(entries));
        boolean[] failed = new boolean[batch.size()];
        response.failed().forEach(f -> failed[Integer.parseInt(f.id())] = true);
        for (int i = 0; i < batch.size(); i++) {
          batch.get(i).confirm.done(failed[i] ? new IllegalStateException("SendMessageBatch entry failed") : null);
        }
      } catch (RuntimeException e) {
        batch.forEach(p -> p.confirm.done(e));
      }
    }

    @Override
    public AutoCloseable consume(String url, Consumer<ByteBuffer> handler) {
      AtomicBoolean stop = new AtomicBoolean();
      List<Thread> pollers = new ArrayList<>();
      for (int p = 0; p < POLLERS; p++) {
        Thread t = new Thread(() -> {
          while (!stop.get()) {
            var received = sqs.receiveMessage(r -> r.queueUrl(url).maxNumberOfMessages(10).waitTimeSeconds(1))
                .messages();
            if (received.isEmpty()) {
              continue;
            }
            List<DeleteMessageBatchRequestEntry> deletes = new ArrayList<>(received.size());
            for (var m : received) {
              handler.accept(ByteBuffer.wrap(Base64.getDecoder().decode(m.body().getBytes(StandardCharsets.US_ASCII))));
              deletes.add(DeleteMessageBatchRequestEntry.builder().id(Integer.toString(deletes.size()))
                  .receiptHandle(m.receiptHandle()).build());
            }
            sqs.deleteMessageBatch(r -> r.queueUrl(url).entries(deletes));
          }
        }, "raw-bench-poll-" + p);
        t.start();
        pollers.add(t);
      }
      return () -> {
        stop.set(true);
        for (Thread t : pollers) {
          t.join(30_000);
        }
      };
    }

    @Override
    public void close() {
      senders.forEach(Thread::interrupt);
      sqs.close();
    }
  }
}
