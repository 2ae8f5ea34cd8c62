package dev.courier.bench;

import com.google.api.core.ApiFutureCallback;
import com.google.api.core.ApiFutures;
import com.google.api.gax.batching.BatchingSettings;
import com.google.api.gax.batching.FlowControlSettings;
import com.google.api.gax.core.InstantiatingExecutorProvider;
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
import dev.courier.bench.driver.Endpoint;
import dev.courier.bench.driver.Workload;
import dev.courier.config.CourierConfig;
import dev.courier.testsupport.PubSubEmulator;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Pub/Sub: the same workload through Courier's adapter and the raw google-cloud-pubsub client,
 * against Google's emulator (started here from the machine's jar): unkeyed messages of 1 KiB, the
 * same publisher batching (100 messages, 1 ms), at most {@value #WINDOW} unconfirmed; the
 * publish-only topics have no subscription, so the emulator keeps nothing of them. The raw side
 * consumes with the client's streaming-pull {@code Subscriber} (flow control {@value #IN_FLIGHT}, one
 * thread running the receiver), Courier with one subscription of the same maxInFlight and concurrency 1. No peer (Spring Cloud Stream's Pub/Sub
 * binder is not of its release train).
 */
public final class PubSubBench {
  private static final int PAYLOAD_BYTES = 1024;
  private static final int WINDOW = 5_000;
  private static final int IN_FLIGHT = 1_000;
  private static final Workload.Settings SETTINGS = new Workload.Settings(PAYLOAD_BYTES, WINDOW, 0, true);

  private PubSubBench() {}

  public static void main(String[] args) throws Exception {
    Options options = Options.parse(args, 20_000);
    // The emulator holds every message in its heap: the tests' 256 MB would spend the run in GC.
    System.setProperty(PubSubEmulator.JVM_OPTIONS_PROPERTY,
        System.getProperty(PubSubEmulator.JVM_OPTIONS_PROPERTY, "-Xmx1g -XX:+UseParallelGC"));
    try (PubSubEmulator emulator = PubSubEmulator.start()) {
      System.out.println("Pub/Sub: " + emulator);
      ManagedChannel channel = ManagedChannelBuilder.forTarget(emulator.endpoint()).usePlaintext().build();
      try {
        CourierEndpoint courier = new CourierEndpoint(Courier.fromConfig(CourierConfig.builder()
            .set("courier.broker", "gcp-pubsub")
            .set("courier.gcp-pubsub.project-id", emulator.projectId())
            .set("courier.gcp-pubsub.emulator-host", emulator.endpoint())
            .set("courier.publish-timeout", "60s")
            .build())).subscription(b -> b.concurrency(1).maxInFlight(IN_FLIGHT));
        new Harness(options)
            .workload("payloadBytes", PAYLOAD_BYTES).workload("publishWindow", WINDOW).workload("maxInFlight", IN_FLIGHT)
            .side("courier", "Courier's Pub/Sub adapter", Harness.Side.of(courier, SETTINGS))
            .side("raw", "raw google-cloud-pubsub: Publisher (batches of 100 / 1 ms), streaming-pull Subscriber",
                Harness.Side.of(new RawPubSub(emulator.projectId(), channel), SETTINGS))
            .ratio("courierToRaw", "courier", "raw")
            .run();
      } finally {
        channel.shutdownNow();
      }
    }
  }

  /** The raw client on the emulator: plaintext channel, no credentials, Courier's publisher settings. */
  private static final class RawPubSub implements Endpoint {
    private final String project;
    private final TransportChannelProvider channels;
    private final Map<String, Publisher> publishers = new ConcurrentHashMap<>();

    RawPubSub(String project, ManagedChannel channel) {
      this.project = project;
      this.channels = FixedTransportChannelProvider.create(GrpcTransportChannel.create(channel));
    }

    @Override
    public String create(boolean consumed) throws Exception {
      String topic = "bench-raw-" + UUID.randomUUID();
      try (TopicAdminClient topics = TopicAdminClient.create(TopicAdminSettings.newBuilder()
          .setTransportChannelProvider(channels).setCredentialsProvider(NoCredentialsProvider.create()).build());
          SubscriptionAdminClient subs = SubscriptionAdminClient.create(SubscriptionAdminSettings.newBuilder()
              .setTransportChannelProvider(channels).setCredentialsProvider(NoCredentialsProvider.create()).build())) {
        topics.createTopic(TopicName.of(project, topic));
        if (consumed) {
          subs.createSubscription(Subscription.newBuilder().setName(ProjectSubscriptionName.format(project, topic + "-g"))
              .setTopic(TopicName.of(project, topic).toString()).setAckDeadlineSeconds(30).build());
        }
      }
      publishers.put(topic, Publisher.newBuilder(TopicName.of(project, topic)).setChannelProvider(channels)
          .setCredentialsProvider(NoCredentialsProvider.create()).setEnableMessageOrdering(true)
          .setBatchingSettings(BatchingSettings.newBuilder().setElementCountThreshold(100L)
              .setRequestByteThreshold(1_000_000L).setDelayThresholdDuration(Duration.ofMillis(1)).build())
          .build());
      return topic;
    }

    @Override
    public void publish(String topic, int index, byte[] payload, Confirm confirm) {
      ApiFutures.addCallback(publishers.get(topic).publish(PubsubMessage.newBuilder()
          .setData(ByteString.copyFrom(payload)).build()), new ApiFutureCallback<String>() {
            @Override
            public void onSuccess(String id) {
              confirm.done(null);
            }

            @Override
            public void onFailure(Throwable t) {
              confirm.done(t);
            }
          }, MoreExecutors.directExecutor());
    }

    @Override
    public AutoCloseable consume(String topic, Consumer<ByteBuffer> handler) {
      Subscriber subscriber = Subscriber.newBuilder(ProjectSubscriptionName.of(project, topic + "-g"),
          (MessageReceiver) (m, ack) -> {
            handler.accept(m.getData().asReadOnlyByteBuffer());
            ack.ack();
          }).setChannelProvider(channels).setCredentialsProvider(NoCredentialsProvider.create())
          .setFlowControlSettings(FlowControlSettings.newBuilder().setMaxOutstandingElementCount((long) IN_FLIGHT).build())
          // one thread runs the receiver, as Courier's concurrency 1 (the client's default is several)
          .setExecutorProvider(InstantiatingExecutorProvider.newBuilder().setExecutorThreadCount(1).build())
          .build();
      subscriber.startAsync().awaitRunning();
      return () -> subscriber.stopAsync().awaitTerminated(30, TimeUnit.SECONDS);
    }

    @Override
    public void discard(String topic) throws InterruptedException {
      Publisher p = publishers.remove(topic);
      if (p != null) {
        p.shutdown();
        p.awaitTermination(30, TimeUnit.SECONDS);
      }
    }
  }
}
