package dev.courier.pubsub;

import dev.courier.Capabilities;
import dev.courier.Capability;
import dev.courier.CourierClosedException;
import dev.courier.GroupOptions;
import dev.courier.Message;
import dev.courier.pubsub.internal.Clients;
import dev.courier.pubsub.internal.HandBacks;
import dev.courier.pubsub.internal.PubSubMessages;
import dev.courier.pubsub.internal.PubSubReceiver;
import dev.courier.pubsub.internal.Publishers;
import dev.courier.pubsub.internal.Topology;
import dev.courier.spi.DeliverySink;
import dev.courier.spi.NamingRules;
import dev.courier.spi.ReceiveSpec;
import dev.courier.spi.Receiver;
import dev.courier.spi.Transport;
import dev.courier.spi.support.OpenReceivers;
import dev.courier.spi.support.Threads;
import java.time.Duration;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Courier's Google Cloud Pub/Sub adapter ({@code gcp-pubsub}), on {@code google-cloud-pubsub}.
 *
 * <p>A topic is a Pub/Sub topic; a group is a subscription {@code <topic>~<group>} on it (see
 * {@link Topology}), created with message ordering when the group is ordered, and always with a
 * dead-letter policy so that Pub/Sub counts delivery attempts. Only subscriptions that exist when a
 * message is published receive it: provision groups first with {@code admin().ensureGroup}.
 * Publishing goes through one cached client {@code Publisher} per topic (batching per
 * {@link PubSubSettings}; a message's key is its ordering key); the future completes when Pub/Sub
 * returned the message id. Consuming is a streaming pull with flow control at maxInFlight
 * ({@link PubSubReceiver}); ack is an acknowledge, a nack a {@code modifyAckDeadline} to the
 * redelivery delay (at most 600 s, declared as {@link Capabilities#maxRedeliveryDelay()}).
 * Headers are attributes; what does not fit Pub/Sub's attribute limits is packed
 * ({@link PubSubMessages}). Against an emulator messages live in memory only, so PERSISTENT is
 * declared only for the service. Delayed publish is not offered (Pub/Sub has none).
 */
public final class PubSubTransport implements Transport {
  public static final String NAME = "gcp-pubsub";
  private static final Logger log = LoggerFactory.getLogger(PubSubTransport.class);
  /** Pub/Sub's 10 MB per message, less room for attributes and packing. */
  private static final int MAX_PAYLOAD_BYTES = 8 * 1024 * 1024;
  private static final int MAX_HEADER_BYTES = 64 * 1024;

  private final PubSubSettings settings;
  private final Capabilities capabilities;
  private final Clients clients;
  private final Topology topology;
  private final Publishers publishers;
  private final ScheduledExecutorService scheduler;
  private final ExecutorService completions;
  private final HandBacks handBacks = new HandBacks();
  private final OpenReceivers<PubSubReceiver> open =
      new OpenReceivers<>(() -> new CourierClosedException("the Pub/Sub transport is closed"));

  private PubSubTransport(PubSubSettings settings) {
    this.settings = settings;
    this.capabilities = capabilities(settings);
    this.clients = Clients.create(settings);
    this.topology = new Topology(clients, settings.projectId(), settings.ackDeadline());
    ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(2, Threads.factory("courier-pubsub", true));
    s.setRemoveOnCancelPolicy(true);
    this.scheduler = s;
    this.completions = Executors.newFixedThreadPool(2, Threads.factory("courier-pubsub-confirm", true));
    this.publishers = new Publishers(clients, topology, settings, scheduler, completions);
  }

  /** A transport for {@code settings}; gRPC connects on first use. */
  public static PubSubTransport connect(PubSubSettings settings) {
    Objects.requireNonNull(settings, "settings");
    PubSubTransport t = new PubSubTransport(settings);
    log.info("Pub/Sub transport created: {}", settings);
    return t;
  }

  /** What this adapter declares for {@code settings}: PERSISTENT only on the service, not an emulator. */
  public static Capabilities capabilities(PubSubSettings settings) {
    Capabilities.Builder b = Capabilities.builder()
        .with(Capability.FAN_OUT, Capability.ORDERED_BY_KEY, Capability.DELAYED_REDELIVERY)
        .maxPayloadBytes(MAX_PAYLOAD_BYTES)
        .maxHeaders(PubSubMessages.MAX_ATTRIBUTES)
        .maxHeaderBytes(MAX_HEADER_BYTES)
        .maxRedeliveryDelay(Duration.ofSeconds(600))
        .leaseRenewalInterval(settings.ackDeadline().dividedBy(3));
    if (!settings.isEmulator()) {
      b.with(Capability.PERSISTENT);
    }
    return b.build();
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Capabilities capabilities() {
    return capabilities;
  }

  @Override
  public NamingRules naming() {
    return Topology.naming();
  }

  public PubSubSettings settings() {
    return settings;
  }

  @Override
  public CompletableFuture<Void> send(String topic, Message message) {
    try {
      open.checkOpen();
    } catch (CourierClosedException e) {
      return CompletableFuture.failedFuture(e);
    }
    return publishers.publish(topic, PubSubMessages.toPubSub(message));
  }

  @Override
  public Receiver receive(ReceiveSpec spec, DeliverySink sink) {
    open.checkOpen();
    String subscription = topology.ensureGroup(spec.topic(), spec.group(), spec.groupOptions());
    PubSubReceiver r = new PubSubReceiver(clients, subscription, spec.maxInFlight(), spec.orderedByKey(), settings,
        scheduler, handBacks, sink);
    open.add(r); // the streams start in the constructor: closes them and throws if this transport closed meanwhile
    return new Receiver() {
      @Override
      public void stopFetching() {
        r.stopFetching();
      }

      @Override
      public void close() {
        r.close();
        open.remove(r);
      }
    };
  }

  @Override
  public void ensureTopic(String topic) {
    open.checkOpen();
    topology.ensureTopic(topic);
  }

  @Override
  public void ensureGroup(String topic, String group, GroupOptions options) {
    open.checkOpen();
    topology.ensureGroup(topic, group, options);
  }

  /** Pub/Sub has no message count a client can read (Cloud Monitoring only): unknown. */
  @Override
  public OptionalLong backlog(String topic, String group) {
    return OptionalLong.empty();
  }

  @Override
  public void close() {
    if (!open.close()) {
      return;
    }
    publishers.close();
    scheduler.shutdown();
    completions.shutdown();
    try {
      scheduler.awaitTermination(5, TimeUnit.SECONDS);
      completions.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    clients.close();
  }

  @Override
  public String toString() {
    return "PubSubTransport{" + settings + '}';
  }
}
