package dev.courier.rabbitmq;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.Recoverable;
import com.rabbitmq.client.RecoveryListener;
import com.rabbitmq.client.SocketConfigurators;
import dev.courier.Capabilities;
import dev.courier.Capability;
import dev.courier.GroupOptions;
import dev.courier.ConfigurationException;
import dev.courier.CourierException;
import dev.courier.Message;
import dev.courier.PublishException;
import dev.courier.rabbitmq.internal.ConfirmChannelPool;
import dev.courier.rabbitmq.internal.InlineExecutorService;
import dev.courier.rabbitmq.internal.RabbitMqReceiver;
import dev.courier.rabbitmq.internal.Topology;
import dev.courier.spi.DeliverySink;
import dev.courier.spi.NamingRules;
import dev.courier.spi.ReceiveSpec;
import dev.courier.spi.Receiver;
import dev.courier.spi.Transport;
import dev.courier.spi.support.OpenReceivers;
import dev.courier.spi.support.Threads;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Courier's RabbitMQ adapter ({@code rabbitmq}), on the {@code com.rabbitmq:amqp-client} library.
 *
 * <p>A topic is a durable topic exchange; a group is a durable queue {@code <topic>:<group>}
 * (quorum by default) bound to it, declared idempotently by ensureTopic/ensureGroup/receive. Only
 * groups that exist when a message is published receive it: a publish no group would keep fails
 * (it is returned as unroutable). Publishing uses publisher confirms on a pool of channels of its
 * own connection, persistent delivery and {@code mandatory}; a publish fails when the broker nacks or
 * returns it, when the connection is down or blocked by a broker alarm, or after the publish
 * timeout, and never hangs. Publish futures complete on the transport's own callback threads, never
 * on the connection's reader thread, so a callback may publish again and wait. Consuming
 * uses one channel per subscription with prefetch = maxInFlight and manual acks. A nack with a
 * delay republishes the message into a delay tier (a queue with per-message TTL that dead-letters
 * back into the group's queue), then acks the original; the attempt count survives in a header.
 * A delayed publish waits in a delay tier likewise and is routed to the topic when it expires, so
 * the groups that exist <em>then</em> receive it. Whether a topic has groups cannot be asked of
 * RabbitMQ (AMQP has no binding lookup; groups may be declared by other processes), so a delayed
 * publish to a topic without groups is accepted; it is not dropped at expiry either: the tiers
 * dead-letter at-least-once, so the broker keeps it and retries routing it (every few minutes on
 * 3.10) until a group exists. Provision groups first with {@code admin().ensureGroup}.
 * Connections recover by themselves with their topology and consumers.
 *
 * <p>Ordering: RabbitMQ delivers a queue in order to one consumer, and the core's key lanes keep
 * same-key messages one at a time. A group created ordered (by an ordered subscription, or
 * {@code ensureGroup} with {@code GroupOptions.withOrderedByKey(true)}) has a single active
 * consumer, so order by key holds across its subscribers too; so does every group with
 * {@link RabbitMqSettings#singleActiveConsumer()}. An ordered subscription to a group whose queue
 * was declared without it fails with {@link dev.courier.IncompatibleGroupException}.
 * A redelivery after a failure may be overtaken by later messages of its key.
 */
public final class RabbitMqTransport implements Transport {
  public static final String NAME = "rabbitmq";
  private static final Logger log = LoggerFactory.getLogger(RabbitMqTransport.class);
  private static final NamingRules NAMING = Topology.NAMING;

  private final RabbitMqSettings settings;
  private final Capabilities capabilities;
  private final Connection publishConnection;
  private final Connection consumeConnection;
  private final Topology topology;
  private final ConfirmChannelPool pool;
  private final ScheduledThreadPoolExecutor scheduler;
  private final ThreadPoolExecutor completer;
  private volatile String blockedReason;
  private final OpenReceivers<RabbitMqReceiver> open =
      new OpenReceivers<>(() -> new IllegalStateException("RabbitMQ transport is closed"));

  private RabbitMqTransport(RabbitMqSettings settings) {
    this.settings = settings;
    this.capabilities = Capabilities.builder()
        .with(Capability.FAN_OUT, Capability.ORDERED_BY_KEY, Capability.PERSISTENT,
            Capability.DELAYED_REDELIVERY, Capability.DELAYED_PUBLISH)
        .maxPayloadBytes(settings.maxPayloadBytes())
        .maxHeaders(64) // AMQP headers travel in one content-header frame (frame_max, 128 KiB by default)
        .maxHeaderBytes(16 * 1024)
        .maxPublishDelay(Duration.ofDays(7)) // per-message TTL on a delay queue
        .maxRedeliveryDelay(Duration.ofDays(7))
        .build();
    ConnectionFactory factory = connectionFactory(settings);
    Connection pub = null;
    try {
      pub = factory.newConnection(settings.connectionName() + "-publish");
      // Consumers run on the connection's reader thread: the core's hand-off to a handler thread is
      // then the only thread hop per delivery, as in a plain client consumer.
      this.consumeConnection = factory.newConnection(new InlineExecutorService(), settings.connectionName() + "-consume");
      this.publishConnection = pub;
    } catch (IOException | TimeoutException e) {
      closeQuietly(pub);
      throw new CourierException("cannot connect to RabbitMQ at " + settings.host() + ":" + settings.port()
          + " (virtual host '" + settings.virtualHost() + "', user '" + settings.username() + "'): "
          + reason(e) + "; check that the broker runs and the courier.rabbitmq.* settings", e);
    }
    this.scheduler = new ScheduledThreadPoolExecutor(1, Threads.factory("courier-rabbitmq-timers", true));
    this.completer = completer();
    publishConnection.addBlockedListener(reason -> {
      blockedReason = reason == null || reason.isBlank() ? "(no reason given)" : reason;
      log.warn("RabbitMQ blocked publishing on this connection: {}; publishes fail until it unblocks", reason);
    }, () -> {
      blockedReason = null;
      log.info("RabbitMQ unblocked publishing");
    });
    if (publishConnection instanceof Recoverable r) {
      // A new connection starts unblocked; the old one's unblock never comes.
      r.addRecoveryListener(new RecoveryListener() {
        @Override
        public void handleRecovery(Recoverable recoverable) {
          blockedReason = null;
        }

        @Override
        public void handleRecoveryStarted(Recoverable recoverable) {}
      });
    }
    this.topology = new Topology(consumeConnection, publishConnection, settings.queueType(), settings.singleActiveConsumer());
    this.pool = new ConfirmChannelPool(publishConnection, settings.channelPoolSize(),
        settings.publishTimeout().toMillis(), scheduler, completer, () -> blockedReason);
    log.info("connected to RabbitMQ: {}", settings);
  }

  /**
   * Threads that complete publish futures, so user callbacks never run on (and never block) the
   * connection's reader thread. Grows on demand for callbacks that block; never queues. When all are
   * busy, or after close, the completing thread runs the task itself: a future is never left pending.
   */
  private static ThreadPoolExecutor completer() {
    return new ThreadPoolExecutor(0, 64, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
        Threads.factory("courier-rabbitmq-publish-callbacks", true), (task, executor) -> task.run());
  }

  /** Connects with {@code settings}; fails with a CourierException naming the broker if it cannot. */
  public static RabbitMqTransport connect(RabbitMqSettings settings) {
    return new RabbitMqTransport(Objects.requireNonNull(settings, "settings"));
  }

  /** The client's connection factory for {@code settings}: TLS, recovery and timeouts applied. */
  static ConnectionFactory connectionFactory(RabbitMqSettings s) {
    ConnectionFactory f = new ConnectionFactory();
    f.setHost(s.host());
    f.setPort(s.port());
    f.setVirtualHost(s.virtualHost());
    f.setUsername(s.username());
    f.setPassword(s.password());
    f.setAutomaticRecoveryEnabled(true);
    f.setTopologyRecoveryEnabled(true);
    f.setNetworkRecoveryInterval(s.recoveryInterval().toMillis());
    f.setConnectionTimeout((int) Math.min(Integer.MAX_VALUE, s.connectionTimeout().toMillis()));
    f.setHandshakeTimeout((int) Math.min(Integer.MAX_VALUE, s.connectionTimeout().toMillis()));
    f.setChannelRpcTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(s.publishTimeout().toMillis(), 1000)));
    f.setRequestedHeartbeat(10);
    if (s.tls()) {
      f.useSslProtocol(sslContext(s));
      // useSslProtocol(SSLContext) turns host name verification on by itself (amqp-client 5.x), which
      // made verifyHostname(false) a no-op: start from the default socket setup so the setting decides.
      f.setSocketConfigurator(SocketConfigurators.defaultConfigurator());
      if (s.verifyHostname()) {
        f.enableHostnameVerification();
      }
    }
    return f;
  }

  private static SSLContext sslContext(RabbitMqSettings s) {
    try {
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      if (s.trustStore().isPresent()) {
        KeyStore ks = KeyStore.getInstance(s.trustStoreType());
        try (InputStream in = Files.newInputStream(s.trustStore().get())) {
          ks.load(in, s.trustStorePassword().map(String::toCharArray).orElse(null));
        }
        tmf.init(ks);
      } else {
        tmf.init((KeyStore) null);
      }
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    } catch (IOException | GeneralSecurityException e) {
      throw new ConfigurationException("cannot load the TLS trust store "
          + s.trustStore().map(Object::toString).orElse("(JVM default)") + " of type " + s.trustStoreType()
          + ": " + e.getMessage() + "; check courier.rabbitmq.tls.trust-store and its password", e);
    }
  }

  public RabbitMqSettings settings() {
    return settings;
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
    return NAMING;
  }

  @Override
  public CompletableFuture<Void> send(String topic, Message message) {
    open.checkOpen();
    try {
      topology.ensureTopic(topic);
    } catch (CourierException e) {
      return CompletableFuture.failedFuture(new PublishException("cannot publish to '" + topic + "': "
          + e.getMessage(), e));
    }
    return pool.publish(topic, topic, message);
  }

  @Override
  public List<CompletableFuture<Void>> sendAll(String topic, List<Message> messages) {
    open.checkOpen();
    try {
      topology.ensureTopic(topic);
    } catch (CourierException e) {
      PublishException failure = new PublishException("cannot publish to '" + topic + "': " + e.getMessage(), e);
      List<CompletableFuture<Void>> out = new ArrayList<>(messages.size());
      for (int i = 0; i < messages.size(); i++) {
        out.add(CompletableFuture.failedFuture(failure));
      }
      return out;
    }
    return pool.publishAll(topic, topic, messages);
  }

  @Override
  public CompletableFuture<Void> sendDelayed(String topic, Message message, Duration delay) {
    open.checkOpen();
    String tier;
    try {
      topology.ensureTopic(topic);
      tier = topology.delayedPublishTier(delay);
    } catch (CourierException e) {
      return CompletableFuture.failedFuture(new PublishException("cannot publish to '" + topic + "': "
          + e.getMessage(), e));
    }
    long millis = Math.max(1, delay.toMillis());
    return pool.publishExpiring(tier, topic, message, millis);
  }

  @Override
  public Receiver receive(ReceiveSpec spec, DeliverySink sink) {
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(sink, "sink");
    open.checkOpen();
    // While the connection is being recovered the receiver declares its queue when it subscribes.
    boolean declared = consumeConnection.isOpen();
    boolean ordered = spec.orderedByKey();
    boolean singleActive = declared ? topology.ensureGroup(spec.topic(), spec.group(), ordered)
        : settings.singleActiveConsumer() || ordered;
    String queue = Topology.queueName(spec.topic(), spec.group());
    RabbitMqReceiver receiver = new RabbitMqReceiver(consumeConnection, spec, queue, sink, this::redeliverLater,
        () -> {
          topology.forget(spec.topic(), spec.group());
          topology.ensureGroup(spec.topic(), spec.group(), ordered);
        }, scheduler, settings.publishTimeout().plusSeconds(5), singleActive);
    receiver.start(declared); // not after the add: a close between the two would leave it consuming
    open.add(receiver); // closes it and throws if this transport closed meanwhile
    return new Receiver() {
      @Override
      public void stopFetching() {
        receiver.stopFetching();
      }

      @Override
      public void close() {
        receiver.close();
        open.remove(receiver);
      }
    };
  }

  private CompletableFuture<Void> redeliverLater(String queue, com.rabbitmq.client.AMQP.BasicProperties props,
      byte[] body, int priorDeliveries, Duration delay) {
    if (delay.toMillis() < 1) {
      return pool.publishRedelivery("", queue, props, body, priorDeliveries, null); // straight back to the queue
    }
    String tier;
    try {
      tier = topology.redeliveryTier(delay);
    } catch (CourierException e) {
      return CompletableFuture.failedFuture(e);
    }
    return pool.publishRedelivery(tier, queue, props, body, priorDeliveries, Math.max(1, delay.toMillis()));
  }

  @Override
  public void ensureTopic(String topic) {
    open.checkOpen();
    topology.ensureTopic(topic);
  }

  /**
   * Declares the group's queue; {@code orderedByKey} gives it a single active consumer, which
   * RabbitMQ fixes at declaration (an existing queue without one fails with
   * {@link dev.courier.IncompatibleGroupException}).
   */
  @Override
  public void ensureGroup(String topic, String group, GroupOptions options) {
    open.checkOpen();
    topology.ensureGroup(topic, group, options.orderedByKey());
  }

  /** Ready messages in the group's queue, as the broker counts them (delayed redeliveries excluded). */
  @Override
  public OptionalLong backlog(String topic, String group) {
    open.checkOpen();
    return OptionalLong.of(topology.messageCount(topic, group));
  }

  @Override
  public void close() {
    if (open.close()) {
      pool.close();
      topology.close();
      scheduler.shutdownNow();
      completer.shutdown();
      closeQuietly(publishConnection);
      closeQuietly(consumeConnection);
    }
  }

  /**
   * The first message in {@code e}'s cause chain: the client often wraps the useful one (a TLS
   * handshake failure, "Frame size is invalid" from a non-AMQP port) in an IOException without one.
   */
  static String reason(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        return t == e ? t.getMessage() : t.getClass().getSimpleName() + ": " + t.getMessage();
      }
    }
    return e.getClass().getSimpleName();
  }

  private static void closeQuietly(Connection c) {
    if (c != null) {
      try {
        c.close(5_000);
      } catch (IOException | RuntimeException e) {
        log.debug("closing a RabbitMQ connection: {}", e.toString());
      }
    }
  }

  @Override
  public String toString() {
    return "RabbitMqTransport{" + settings + '}';
  }
}
