package dev.courier.pubsub.internal;

import com.google.api.gax.core.CredentialsProvider;
import com.google.api.gax.core.FixedCredentialsProvider;
import com.google.api.gax.core.GoogleCredentialsProvider;
import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.GrpcTransportChannel;
import com.google.api.gax.rpc.FixedTransportChannelProvider;
import com.google.api.gax.rpc.TransportChannelProvider;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.cloud.pubsub.v1.SubscriptionAdminClient;
import com.google.cloud.pubsub.v1.SubscriptionAdminSettings;
import com.google.cloud.pubsub.v1.TopicAdminClient;
import com.google.cloud.pubsub.v1.TopicAdminSettings;
import com.google.cloud.pubsub.v1.stub.GrpcSubscriberStub;
import com.google.cloud.pubsub.v1.stub.SubscriberStub;
import com.google.cloud.pubsub.v1.stub.SubscriberStubSettings;
import dev.courier.ConfigurationException;
import dev.courier.pubsub.PubSubSettings;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.time.Duration;

/**
 * The gRPC channel and the clients built on it: one channel for everything (publishers, admin
 * clients, the subscriber stub), plaintext without credentials to an emulator, TLS with
 * credentials to the service. Closed with the transport.
 */
public final class Clients implements AutoCloseable {
  private static final List<String> SCOPES = List.of("https://www.googleapis.com/auth/pubsub");

  private final ManagedChannel channel;
  private final TransportChannelProvider channelProvider;
  private final CredentialsProvider credentials;
  private final TopicAdminClient topics;
  private final SubscriptionAdminClient subscriptions;
  private final SubscriberStub subscriber;

  private Clients(PubSubSettings settings) throws IOException {
    String target = settings.emulatorHost().orElse(settings.endpoint());
    ManagedChannelBuilder<?> cb = ManagedChannelBuilder.forTarget(target)
        .maxInboundMessageSize(20 * 1024 * 1024)
        .keepAliveTime(30, TimeUnit.SECONDS);
    if (settings.isEmulator()) {
      cb.usePlaintext();
      credentials = NoCredentialsProvider.create();
    } else {
      cb.useTransportSecurity();
      credentials = credentials(settings);
    }
    channel = cb.build();
    channelProvider = FixedTransportChannelProvider.create(GrpcTransportChannel.create(channel));
    Duration adminTimeout = settings.adminTimeout();
    TopicAdminSettings.Builder tb = TopicAdminSettings.newBuilder().setTransportChannelProvider(channelProvider)
        .setCredentialsProvider(credentials);
    tb.createTopicSettings().setSimpleTimeoutNoRetriesDuration(adminTimeout);
    tb.getTopicSettings().setSimpleTimeoutNoRetriesDuration(adminTimeout);
    tb.deleteTopicSettings().setSimpleTimeoutNoRetriesDuration(adminTimeout);
    topics = TopicAdminClient.create(tb.build());
    SubscriptionAdminSettings.Builder sb = SubscriptionAdminSettings.newBuilder()
        .setTransportChannelProvider(channelProvider).setCredentialsProvider(credentials);
    sb.createSubscriptionSettings().setSimpleTimeoutNoRetriesDuration(adminTimeout);
    sb.getSubscriptionSettings().setSimpleTimeoutNoRetriesDuration(adminTimeout);
    sb.updateSubscriptionSettings().setSimpleTimeoutNoRetriesDuration(adminTimeout);
    sb.deleteSubscriptionSettings().setSimpleTimeoutNoRetriesDuration(adminTimeout);
    subscriptions = SubscriptionAdminClient.create(sb.build());
    SubscriberStubSettings.Builder ss = SubscriberStubSettings.newBuilder().setTransportChannelProvider(channelProvider)
        .setCredentialsProvider(credentials);
    ss.acknowledgeSettings().setSimpleTimeoutNoRetriesDuration(adminTimeout);
    ss.modifyAckDeadlineSettings().setSimpleTimeoutNoRetriesDuration(adminTimeout);
    subscriber = GrpcSubscriberStub.create(ss.build());
  }

  /** Connects (lazily: gRPC dials on first use). */
  public static Clients create(PubSubSettings settings) {
    try {
      return new Clients(settings);
    } catch (IOException e) {
      throw new ConfigurationException("cannot set up the Pub/Sub clients: " + e.getMessage(), e);
    }
  }

  private static CredentialsProvider credentials(PubSubSettings settings) throws IOException {
    if (settings.credentialsFile().isEmpty()) {
      return GoogleCredentialsProvider.newBuilder().setScopesToApply(SCOPES).build();
    }
    try (InputStream in = Files.newInputStream(settings.credentialsFile().get())) {
      return FixedCredentialsProvider.create(GoogleCredentials.fromStream(in).createScoped(SCOPES));
    } catch (IOException e) {
      // The path is not named: configuration printing masks it, so must this.
      throw new ConfigurationException("cannot read the Pub/Sub credentials file (courier.gcp-pubsub.credentials-file): "
          + e.getClass().getSimpleName(), e);
    }
  }

  public TransportChannelProvider channelProvider() {
    return channelProvider;
  }

  public CredentialsProvider credentials() {
    return credentials;
  }

  public TopicAdminClient topics() {
    return topics;
  }

  public SubscriptionAdminClient subscriptions() {
    return subscriptions;
  }

  public SubscriberStub subscriber() {
    return subscriber;
  }

  @Override
  public void close() {
    topics.close();
    subscriptions.close();
    subscriber.close();
    channel.shutdown();
    try {
      if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
        channel.shutdownNow();
      }
    } catch (InterruptedException e) {
      channel.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
