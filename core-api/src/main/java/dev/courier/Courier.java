package dev.courier;

import dev.courier.config.CourierConfig;
import dev.courier.internal.DeadLetterSender;
import dev.courier.internal.DefaultDeadLetters;
import dev.courier.internal.DefaultPublisher;
import dev.courier.internal.Durations;
import dev.courier.internal.Extensions;
import dev.courier.internal.HandlerWatchdog;
import dev.courier.internal.LeaseRenewer;
import dev.courier.internal.ProviderRegistry;
import dev.courier.internal.PublishTimeouts;
import dev.courier.internal.ReliableDeliveryProcessor;
import dev.courier.internal.SubscriptionRuntime;
import dev.courier.spi.NamingRules;
import dev.courier.spi.ReceiveSpec;
import dev.courier.spi.Receiver;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportProvider;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The entry point: one broker connection with its publisher, subscriptions and admin. Create it
 * from configuration ({@link #fromConfig()}: {@code courier.broker} picks the adapter) or from a
 * transport in code ({@link #builder()}), share it, and close it at shutdown: closing drains every
 * subscription, waits for outstanding publishes to be confirmed, then closes the transport.
 * Thread-safe.
 */
public final class Courier implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Courier.class);

  private final Transport transport;
  private final Extensions extensions;
  private final ThreadFactory handlerThreads; // null: Courier's own
  private final DefaultPublisher publisher;
  private final Admin admin;
  private final Duration publishTimeout;
  private final Duration redriveIdleTimeout;
  private final HandlerWatchdog watchdog = new HandlerWatchdog();
  private final PublishTimeouts publishTimeouts;
  private final LeaseRenewer leases;
  private final Set<SubscriptionRuntime> subscriptions = ConcurrentHashMap.newKeySet();
  /** Orders subscribed/unsubscribed events with adding a listener, so each listener hears each once. */
  private final Object subscriptionEvents = new Object();
  private final AtomicBoolean closed = new AtomicBoolean();

  private Courier(Builder b) {
    this.transport = b.transport;
    this.extensions = new Extensions(b.handlerMdc);
    b.listeners.forEach(extensions::addListener);
    b.deliveryInterceptors.forEach(extensions::addDeliveryInterceptor);
    b.publishInterceptors.forEach(extensions::addPublishInterceptor);
    this.handlerThreads = b.handlerThreads;
    this.publishTimeout = b.publishTimeout;
    this.redriveIdleTimeout = b.redriveIdleTimeout;
    this.publishTimeouts = new PublishTimeouts(b.publishTimeout);
    this.publisher = new DefaultPublisher(transport, publishTimeouts, extensions, () -> !closed.get());
    this.admin = new DefaultAdmin();
    this.leases = new LeaseRenewer(transport.capabilities().leaseRenewalInterval());
  }

  /** From {@link CourierConfig#load()}: class-path file, config file, environment, system properties. */
  public static Courier fromConfig() {
    return fromConfig(CourierConfig.load());
  }

  /**
   * Finds the adapter named by {@code courier.broker} through {@link java.util.ServiceLoader} and
   * creates it from its {@code courier.<adapter>.*} keys. A missing or unknown name fails with a
   * {@link ConfigurationException} listing the adapters on the class path.
   */
  public static Courier fromConfig(CourierConfig config) {
    return builder().config(config).build();
  }

  private static Transport createTransport(CourierConfig config, Duration publishTimeout) {
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    if (loader == null) {
      loader = Courier.class.getClassLoader();
    }
    ClassLoader l = loader;
    String name = config.broker().orElseThrow(() -> new ConfigurationException(
        "no broker configured: set courier.broker (or COURIER_BROKER) to one of "
            + ProviderRegistry.names(l)));
    TransportProvider provider = ProviderRegistry.find(name, loader);
    Transport transport = provider.create(config.forAdapter(name, provider.configKeys()).withPublishTimeout(publishTimeout));
    log.info("Courier using adapter '{}'", name);
    return transport;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Names of the adapters on the class path. */
  public static List<String> availableAdapters() {
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    return ProviderRegistry.names(loader != null ? loader : Courier.class.getClassLoader());
  }

  /** The adapter's name, e.g. {@code inmemory}. */
  public String adapter() {
    return transport.name();
  }

  public Capabilities capabilities() {
    return transport.capabilities();
  }

  public Publisher publisher() {
    return publisher;
  }

  public Admin admin() {
    return admin;
  }

  /**
   * Adds a listener; it hears {@link CourierListener#subscribed} for each subscription already
   * open, then events from now on, after those registered before it. Deliveries already running
   * may report their terminal event to it without their start.
   */
  public void addListener(CourierListener listener) {
    synchronized (subscriptionEvents) {
      extensions.addListener(listener, subscriptions);
    }
  }

  /**
   * Adds a delivery interceptor, inside those registered before it; handler calls that start from
   * now on, on every subscription, run through it.
   */
  public void addDeliveryInterceptor(DeliveryInterceptor interceptor) {
    extensions.addDeliveryInterceptor(interceptor);
  }

  /** Adds a publish interceptor, inside those registered before it, for publishes from now on. */
  public void addPublishInterceptor(PublishInterceptor interceptor) {
    extensions.addPublishInterceptor(interceptor);
  }

  /**
   * Starts consuming. Names, capabilities (orderedByKey needs ORDERED_BY_KEY), the retry policy's
   * redelivery delay (at most {@link Capabilities#maxRedeliveryDelay()}, else an
   * {@link IllegalArgumentException}) and the derived dead-letter topic are checked before any I/O.
   * The group is created if missing, ordered when the subscription is; an existing group that
   * cannot keep the order the subscription asks for fails with {@link IncompatibleGroupException}.
   * The handler is called on Courier's threads ({@link Builder#handlerThreadFactory}), at most
   * {@code options.concurrency()} at a time, inside the delivery interceptors and with the MDC set.
   */
  public Subscription subscribe(SubscriptionOptions options, MessageHandler handler) {
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(handler, "handler");
    checkOpen();
    NamingRules naming = transport.naming();
    naming.validateTopicOrDeadLetterTopic(options.topic());
    naming.validateGroup(options.group());
    String deadLetterTopic = deadLetterTopic(naming, options.topic(), options.group(), options.deadLetter());
    if (options.orderedByKey() && !capabilities().has(Capability.ORDERED_BY_KEY)) {
      throw new UnsupportedCapabilityException(adapter(), Capability.ORDERED_BY_KEY, "orderedByKey(true)");
    }
    checkRedeliveryDelay(options.retry());
    SubscriptionRuntime runtime = new SubscriptionRuntime(options,
        new ReliableDeliveryProcessor(options, handler, extensions,
            new DeadLetterSender(transport, options.topic(), options.group(), deadLetterTopic,
                options.deadLetter(), publishTimeout),
            capabilities().maxRedeliveryDelay(), Clock.systemUTC()),
        watchdog, leases, handlerThreads, this::closed);
    synchronized (subscriptionEvents) { // a listener being added hears it once: replayed or from here
      subscriptions.add(runtime);
      extensions.listener().subscribed(runtime); // before anything can close it: unsubscribed always follows
    }
    // close() sets closed, then closes the subscriptions it finds: one added after its copy is ours to close.
    if (closed.get()) {
      runtime.close();
      throw new CourierClosedException("this Courier is closed");
    }
    runtime.startWorkers();
    try {
      Receiver receiver = transport.receive(
          new ReceiveSpec(options.topic(), options.group(), options.maxInFlight(),
              GroupOptions.defaults().withOrderedByKey(options.orderedByKey())),
          runtime);
      runtime.attach(receiver);
    } catch (RuntimeException e) {
      runtime.close();
      throw e;
    }
    return runtime;
  }

  private void closed(SubscriptionRuntime runtime) {
    synchronized (subscriptionEvents) {
      if (subscriptions.remove(runtime)) {
        extensions.unsubscribed(runtime);
      }
    }
  }

  private void checkRedeliveryDelay(RetryPolicy retry) {
    Duration max = capabilities().maxRedeliveryDelay();
    if (retry.redeliveryMaxDelay().compareTo(max) > 0) {
      throw new IllegalArgumentException("the retry policy's redeliveryMaxDelay " + retry.redeliveryMaxDelay()
          + " exceeds adapter '" + adapter() + "' maxRedeliveryDelay of " + max);
    }
  }

  /**
   * Shuts down gracefully. Publishing fails at once with {@link CourierClosedException} from the
   * moment close begins. Then every subscription is closed (draining each); then close waits, up to
   * the publish timeout ({@code courier.publish-timeout}, no publish waits longer anyway), until every
   * publish started before is confirmed or failed by the broker, and fails those still unconfirmed
   * with a {@link PublishException} saying the close timed out and the message may or may not have
   * been stored; only then is the transport closed. No publish future is left pending: one still
   * inside the transport's send at the deadline fails as soon as the send returns. Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      for (SubscriptionRuntime s : new ArrayList<>(subscriptions)) {
        try {
          s.close();
        } catch (RuntimeException e) {
          log.warn("closing {} failed", s, e);
        }
      }
    } finally {
      try {
        flushPublishes();
      } finally {
        try {
          transport.close();
        } finally {
          watchdog.close();
          leases.close();
          publishTimeouts.close();
        }
      }
    }
  }

  private void flushPublishes() {
    int unconfirmed = publisher.flush(publishTimeout);
    if (unconfirmed > 0) {
      log.warn("{} publishes were still unconfirmed {} after closing began; they failed with a PublishException",
          unconfirmed, publishTimeout);
    }
  }

  @Override
  public String toString() {
    return "Courier{adapter=" + transport.name() + ", subscriptions=" + subscriptions.size()
        + (closed.get() ? ", closed" : "") + '}';
  }

  private static String deadLetterTopic(NamingRules naming, String topic, String group, DeadLetterPolicy policy) {
    return policy.topic().isPresent()
        ? naming.validateTopicOrDeadLetterTopic(policy.topic().get())
        : naming.deadLetterTopic(topic, group);
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new CourierClosedException("this Courier is closed");
    }
  }

  private final class DefaultAdmin implements Admin {
    @Override
    public void ensureTopic(String topic) {
      checkOpen();
      transport.ensureTopic(transport.naming().validateTopicOrDeadLetterTopic(topic));
    }

    @Override
    public void ensureGroup(String topic, String group, GroupOptions options) {
      Objects.requireNonNull(options, "options");
      checkOpen();
      transport.naming().validateTopicOrDeadLetterTopic(topic);
      transport.naming().validateGroup(group);
      transport.ensureGroup(topic, group, options);
    }

    @Override
    public DeadLetters deadLetters(String topic, String group, DeadLetterPolicy policy) {
      Objects.requireNonNull(policy, "policy");
      checkOpen();
      NamingRules naming = transport.naming();
      naming.validateTopicOrDeadLetterTopic(topic);
      naming.validateGroup(group);
      return new DefaultDeadLetters(transport, topic, group,
          deadLetterTopic(naming, topic, group, policy), publishTimeout, redriveIdleTimeout);
    }

    @Override
    public OptionalLong backlog(String topic, String group) {
      checkOpen();
      transport.naming().validateTopicOrDeadLetterTopic(topic);
      transport.naming().validateGroup(group);
      return transport.backlog(topic, group);
    }
  }

  /** Builds a Courier around a transport created in code or from configuration. */
  public static final class Builder {
    private Transport transport;
    private CourierConfig config;
    private final List<CourierListener> listeners = new ArrayList<>();
    private final List<DeliveryInterceptor> deliveryInterceptors = new ArrayList<>();
    private final List<PublishInterceptor> publishInterceptors = new ArrayList<>();
    private ThreadFactory handlerThreads;
    private boolean handlerMdc = true;
    private Duration publishTimeout = Duration.ofSeconds(30);
    private Duration redriveIdleTimeout = Duration.ofSeconds(5);

    private Builder() {}

    public Builder transport(Transport transport) {
      this.transport = Objects.requireNonNull(transport, "transport");
      this.config = null;
      return this;
    }

    /**
     * Creates the transport from configuration: {@code courier.broker} names the adapter, found
     * through {@link java.util.ServiceLoader}, and {@code courier.<adapter>.*} configures it; also
     * takes {@code courier.publish-timeout}. A missing or unknown adapter name fails with a
     * {@link ConfigurationException} listing the adapters on the class path.
     */
    public Builder config(CourierConfig config) {
      Objects.requireNonNull(config, "config");
      this.publishTimeout = config.publishTimeout(); // validates before any connection is made
      this.config = config; // the transport is created by build(), so an unbuilt builder leaks nothing
      this.transport = null;
      return this;
    }

    /** Adds a listener; several hear every event, in the order added. See {@link CourierListener}. */
    public Builder listener(CourierListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /** Adds a delivery interceptor; the first added is outermost. See {@link DeliveryInterceptor}. */
    public Builder deliveryInterceptor(DeliveryInterceptor interceptor) {
      deliveryInterceptors.add(Objects.requireNonNull(interceptor, "interceptor"));
      return this;
    }

    /** Adds a publish interceptor; the first added is outermost. See {@link PublishInterceptor}. */
    public Builder publishInterceptor(PublishInterceptor interceptor) {
      publishInterceptors.add(Objects.requireNonNull(interceptor, "interceptor"));
      return this;
    }

    /**
     * Makes the subscriptions' handler threads (and the replacements of abandoned ones), e.g.
     * {@code Thread.ofVirtual().name("orders-", 0).factory()} on Java 21+, or a factory naming
     * them after your service. Each thread runs one handler slot's loop for the subscription's
     * life and is interrupted on close and on handler timeouts. Default: daemon platform threads
     * named {@code courier-<topic>-<group>-<slot>}.
     */
    public Builder handlerThreadFactory(ThreadFactory factory) {
      this.handlerThreads = Objects.requireNonNull(factory, "factory");
      return this;
    }

    /**
     * Whether the SLF4J MDC holds the message id, topic, group and attempt ({@link CourierMdc})
     * while a handler runs; default true.
     */
    public Builder handlerMdc(boolean on) {
      this.handlerMdc = on;
      return this;
    }

    /**
     * Bound on waiting for the broker's confirmation of a publish; default 30 s. Positive; this
     * and the redrive idle timeout count as 36,500 days when longer.
     */
    public Builder publishTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "publishTimeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("publishTimeout must be positive, was " + timeout);
      }
      this.publishTimeout = Durations.capped(timeout);
      return this;
    }

    /**
     * How long {@link DeadLetters#redrive} waits for the next dead letter before it stops; default
     * 5 s. Raise it for brokers that deliver slowly after a consumer starts.
     */
    public Builder redriveIdleTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "redriveIdleTimeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("redriveIdleTimeout must be positive, was " + timeout);
      }
      this.redriveIdleTimeout = Durations.capped(timeout);
      return this;
    }

    public Courier build() {
      if (transport == null && config == null) {
        throw new IllegalStateException("a transport or a configuration is required");
      }
      if (config != null) {
        transport = createTransport(config, publishTimeout);
      }
      return new Courier(this);
    }
  }
}
