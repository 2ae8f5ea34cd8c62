package dev.courier.bench;

import com.google.api.core.ApiFutureCallback;
import com.google.api.core.ApiFutures;
import com.google.api.gax.batching.BatchingSettings;
import com.google.api.gax.batching.FlowControlSettings;
import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.GrpcTransportChannel;
import com.google.api.gax.rpc.FixedTransportChannelProvider;
import com.google.api.gax.rpc.TransportChannelProvider;
import com.google.cloud.pubsub.v1.MessageReceiver;
import com.google.cloud.pubsub.v1.Publisher;
import com.google.cloud.pubsub.v1.Subscriber;
import com.google.cloud.pubsub.v1.SubscriptionAdminClient;
import com.google.cloud.pubsub.v1.SubscriptionAdminSettings;
import com.google.cloud.pubsub.v1.TopicAdminClient;
import com.google.cloud.pubsub.v1.TopicAdminSettings;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.protobuf.ByteString;
import com.google.pubsub.v1.ProjectSubscriptionName;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.Subscription;
import com.google.pubsub.v1.TopicName;
import dev.courier.Courier;
import dev.courier.Message;
import dev.courier.SubscriptionOptions;
import dev.courier.bench.Comparison.Result;
import dev.courier.config.CourierConfig;
import dev.courier.testsupport.PubSubEmulator;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The same workload through Courier's Pub/Sub adapter and through the raw google-cloud-pubsub
 * client, against the same emulator (started here from the machine's jar) in the same run: N
 * unkeyed messages of 1 KiB, the same publisher batching (100 messages, 1 ms) and at most
 * {@value #WINDOW} unconfirmed publishes (the publish-only topics have no subscription, so the emulator keeps
 * nothing of them); the raw side consumes with the client's streaming-pull
 * {@code Subscriber} (flow control {@value #IN_FLIGHT}), Courier with one subscription of the same
 * maxInFlight. Publish: N messages until every one is confirmed; end-to-end: N messages published
 * while a subscription handles them, until the last is handled (latency publish → handler). Each
 * side runs {@code bench.rounds} times, alternating; the best run of each counts.
 */
public final class PubSubBench {
  private static final int PAYLOAD_BYTES = 1024;
  private static final int WINDOW = 5_000;
  private static final int IN_FLIGHT = 1_000;
  private static final int ROUNDS = Integer.getInteger("bench.rounds", 3);

  private PubSubBench() {}

  public static void main(String[] args) throws Exception {
    Path out = Path.of(args[1]);
    int messages = args.length > 2 ? Integer.parseInt(args[2]) : 50_000;
    // The emulator holds every message in its heap: the tests' 256 MB would spend the run in GC.
    System.setProperty(PubSubEmulator.JVM_OPTIONS_PROPERTY,
        System.getProperty(PubSubEmulator.JVM_OPTIONS_PROPERTY, "-Xmx1g -XX:+UseParallelGC"));
    try (PubSubEmulator emulator = PubSubEmulator.start()) {
      System.out.println("Pub/Sub: " + emulator);
      ManagedChannel channel = ManagedChannelBuilder.forTarget(emulator.endpoint()).usePlaintext().build();
      try {
        Raw raw0 = new Raw(emulator.projectId(), channel);
        raw0.run(5_000);
        courier(emulator, 5_000);
        Result raw = raw0.run(messages);
        Result courier = courier(emulator, messages);
        for (int round = 1; round < ROUNDS; round++) {
          raw = raw.best(raw0.run(messages));
          courier = courier.best(courier(emulator, messages));
        }
        Comparison.report("gcp-pubsub", "raw google-cloud-pubsub", messages, PAYLOAD_BYTES, raw, courier,
            Map.of("publishWindow", WINDOW, "maxInFlight", IN_FLIGHT), out);
      } finally {
        channel.shutdownNow();
      }
    }
  }

  // ---- Courier -------------------------------------------------------------------------------

  static Result courier(PubSubEmulator emulator, int messages) throws Exception {
    String topic = "bench-courier-" + UUID.randomUUID();
    try (Courier courier = Courier.fromConfig(CourierConfig.builder()
        .set("courier.broker", "gcp-pubsub")
        .set("courier.gcp-pubsub.project-id", emulator.projectId())
        .set("courier.gcp-pubsub.emulator-host", emulator.endpoint())
        .set("courier.publish-timeout", "60s")
        .build())) {
      dev.courier.Publisher publisher = courier.publisher();
      // No subscription: the emulator would keep every message in its heap; both sides publish so.
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
      courier.admin().ensureGroup(topic2, "group");
      long[] sentAt = new long[messages];
      long[] latency = new long[messages];
      CountDownLatch done = new CountDownLatch(messages);
      double rate;
      try (dev.courier.Subscription s = courier.subscribe(SubscriptionOptions.builder(topic2, "group").concurrency(1)
          .maxInFlight(IN_FLIGHT).build(), d -> {
            int i = d.message().payloadBuffer().getInt(0);
            latency[i] = System.nanoTime() - sentAt[i];
            done.countDown();
          })) {
        start = System.nanoTime();
        for (int i = 0; i < messages; i++) {
          ByteBuffer.wrap(payload).putInt(0, i);
          window.acquire();
          sentAt[i] = System.nanoTime();
          publisher.publish(topic2, Message.builder().payload(payload.clone()).build())
              .whenComplete((ok, e) -> window.release());
        }
        check(done.await(300, TimeUnit.SECONDS), "courier end-to-end: " + done.getCount() + " left");
        rate = messages / ((System.nanoTime() - start) / 1e9);
      }
      window.acquire(WINDOW);
      window.release(WINDOW);
      return Result.of(publishRate, rate, latency);
    }
  }

  // ---- raw google-cloud-pubsub ---------------------------------------------------------------

  /** The raw client on the emulator: plaintext channel, no credentials, Courier's publisher settings. */
  private static final class Raw {
    private final String project;
    private final TransportChannelProvider channels;

    Raw(String project, ManagedChannel channel) {
      this.project = project;
      this.channels = FixedTransportChannelProvider.create(GrpcTransportChannel.create(channel));
    }

    private Publisher publisher(String topic) throws Exception {
      return Publisher.newBuilder(TopicName.of(project, topic)).setChannelProvider(channels)
          .setCredentialsProvider(NoCredentialsProvider.create()).setEnableMessageOrdering(true)
          .setBatchingSettings(BatchingSettings.newBuilder().setElementCountThreshold(100L)
              .setRequestByteThreshold(1_000_000L).setDelayThresholdDuration(Duration.ofMillis(1)).build())
          .build();
    }

    /** Creates {@code topic}, and {@code subscription} on it unless null. */
    private void topicWithSubscription(String topic, String subscription) throws Exception {
      try (TopicAdminClient topics = TopicAdminClient.create(TopicAdminSettings.newBuilder()
          .setTransportChannelProvider(channels).setCredentialsProvider(NoCredentialsProvider.create()).build());
          SubscriptionAdminClient subs = SubscriptionAdminClient.create(SubscriptionAdminSettings.newBuilder()
              .setTransportChannelProvider(channels).setCredentialsProvider(NoCredentialsProvider.create()).build())) {
        topics.createTopic(TopicName.of(project, topic));
        if (subscription == null) {
          return;
        }
        subs.createSubscription(Subscription.newBuilder().setName(ProjectSubscriptionName.format(project, subscription))
            .setTopic(TopicName.of(project, topic).toString()).setAckDeadlineSeconds(30).build());
      }
    }

    Result run(int messages) throws Exception {
      String topic = "bench-raw-" + UUID.randomUUID();
      String topic2 = topic + "-e2e";
      topicWithSubscription(topic, null);
      topicWithSubscription(topic2, topic2 + "-g");
      byte[] payload = new byte[PAYLOAD_BYTES];
      Semaphore window = new Semaphore(WINDOW);
      AtomicBoolean failed = new AtomicBoolean();
      Publisher p1 = publisher(topic);
      long start = System.nanoTime();
      for (int i = 0; i < messages; i++) {
        window.acquire();
        ApiFutures.addCallback(p1.publish(PubsubMessage.newBuilder().setData(ByteString.copyFrom(payload)).build()),
            new ApiFutureCallback<String>() {
              @Override
              public void onSuccess(String id) {
                window.release();
              }

              @Override
              public void onFailure(Throwable t) {
                failed.set(true);
                window.release();
              }
            }, MoreExecutors.directExecutor());
      }
      window.acquire(WINDOW);
      window.release(WINDOW);
      double publishRate = messages / ((System.nanoTime() - start) / 1e9);
      check(!failed.get(), "raw publish: a publish failed");
      p1.shutdown();

      long[] sentAt = new long[messages];
      long[] latency = new long[messages];
      CountDownLatch done = new CountDownLatch(messages);
      Subscriber subscriber = Subscriber.newBuilder(ProjectSubscriptionName.of(project, topic2 + "-g"), (MessageReceiver) (m, ack) -> {
        int i = m.getData().asReadOnlyByteBuffer().getInt(0);
        latency[i] = System.nanoTime() - sentAt[i];
        ack.ack();
        done.countDown();
      }).setChannelProvider(channels).setCredentialsProvider(NoCredentialsProvider.create())
          .setFlowControlSettings(FlowControlSettings.newBuilder().setMaxOutstandingElementCount((long) IN_FLIGHT).build())
          .build();
      subscriber.startAsync().awaitRunning();
      Publisher p2 = publisher(topic2);
      start = System.nanoTime();
      for (int i = 0; i < messages; i++) {
        ByteBuffer.wrap(payload).putInt(0, i);
        window.acquire();
        sentAt[i] = System.nanoTime();
        ApiFutures.addCallback(p2.publish(PubsubMessage.newBuilder().setData(ByteString.copyFrom(payload)).build()),
            new ApiFutureCallback<String>() {
              @Override
              public void onSuccess(String id) {
                window.release();
              }

              @Override
              public void onFailure(Throwable t) {
                window.release();
              }
            }, MoreExecutors.directExecutor());
      }
      check(done.await(300, TimeUnit.SECONDS), "raw end-to-end: " + done.getCount() + " left");
      double rate = messages / ((System.nanoTime() - start) / 1e9);
      subscriber.stopAsync().awaitTerminated(30, TimeUnit.SECONDS);
      p2.shutdown();
      return Result.of(publishRate, rate, latency);
    }
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new IllegalStateException(message);
    }
  }
}
