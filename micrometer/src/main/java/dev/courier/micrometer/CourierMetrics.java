package dev.courier.micrometer;

import dev.courier.Courier;
import dev.courier.CourierListener;
import dev.courier.Delivery;
import dev.courier.DeliveryInterceptor;
import dev.courier.Message;
import dev.courier.MessageHandler;
import dev.courier.PublishInterceptor;
import dev.courier.Subscription;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Courier's meters in a Micrometer registry, named after the OpenTelemetry messaging semantic
 * conventions. Bind with one line: {@code CourierMetrics.bind(courier, registry)}.
 *
 * <table>
 * <caption>Meters</caption>
 * <tr><th>name</th><th>type</th><th>what</th></tr>
 * <tr><td>{@code messaging.client.operation.duration}</td><td>timer</td><td>publish, until the
 *     broker confirmed or failed it ({@code messaging.operation.name=publish})</td></tr>
 * <tr><td>{@code messaging.client.sent.messages}</td><td>counter</td><td>publishes, confirmed
 *     ({@code error.type=none}) or failed (the exception's class name)</td></tr>
 * <tr><td>{@code messaging.process.duration}</td><td>timer</td><td>each handler call (interceptors
 *     inside this one included), {@code error.type} as above</td></tr>
 * <tr><td>{@code messaging.client.consumed.messages}</td><td>counter</td><td>deliveries the core
 *     started</td></tr>
 * <tr><td>{@code courier.delivery.outcomes}</td><td>counter</td><td>by {@code courier.outcome}:
 *     {@code acked}, {@code retried} (one per in-process retry), {@code redelivered},
 *     {@code dead_lettered}, {@code duplicate}, {@code released}</td></tr>
 * <tr><td>{@code courier.deliveries.in_flight}</td><td>gauge</td><td>unsettled deliveries of the
 *     group's open subscriptions in this Courier</td></tr>
 * <tr><td>{@code courier.backlog}</td><td>gauge</td><td>messages of the group not yet consumed,
 *     asked of the broker at most every {@code backlogRefresh} (NaN where the adapter cannot
 *     tell)</td></tr>
 * </table>
 *
 * <p>Tags: {@code messaging.system} (the adapter's name), {@code messaging.destination.name}
 * (topic) and, on consumer meters, {@code messaging.consumer.group.name}. <b>Cardinality
 * guard:</b> only the first {@code maxTopics} distinct topics and {@code maxGroups} distinct groups
 * (100 each by default) get their own tag value; later ones are reported as {@code _other}.
 */
public final class CourierMetrics implements CourierListener, DeliveryInterceptor, PublishInterceptor {
  static final String NONE = "none";

  private final MeterRegistry registry;
  private final String system;
  private final Courier courier;
  private final TagValueGuard topics;
  private final TagValueGuard groups;
  private final Duration backlogRefresh;
  private final Map<String, PublishMeters> publishMeters = new ConcurrentHashMap<>();
  private final Map<String, Map<String, ConsumerMeters>> consumerMeters = new ConcurrentHashMap<>();
  private final Map<String, GroupGauges> gauges = new ConcurrentHashMap<>();
  private volatile PublishMeters lastPublish;
  private volatile ConsumerMeters lastConsumer;

  private CourierMetrics(Builder b, Courier courier) {
    this.registry = b.registry;
    this.courier = courier;
    this.system = system(courier.adapter());
    this.topics = new TagValueGuard(b.maxTopics);
    this.groups = new TagValueGuard(b.maxGroups);
    this.backlogRefresh = b.backlogRefresh;
  }

  /** Binds the default meters of {@code courier} to {@code registry}. */
  public static CourierMetrics bind(Courier courier, MeterRegistry registry) {
    return builder(registry).bind(courier);
  }

  public static Builder builder(MeterRegistry registry) {
    return new Builder(registry);
  }

  // ---- publish side

  @Override
  public CompletableFuture<Void> around(String topic, Message message, Next next) {
    PublishMeters meters = publishMeters(topic);
    long start = System.nanoTime();
    CompletableFuture<Void> sent;
    try {
      sent = next.publish(message);
    } catch (RuntimeException e) {
      meters.record(System.nanoTime() - start, e); // rejected before any I/O
      throw e;
    }
    if (sent.isDone() && !sent.isCompletedExceptionally()) {
      meters.record(System.nanoTime() - start, null); // confirmed already (in-process): no callback
    } else {
      sent.whenComplete((v, e) -> meters.record(System.nanoTime() - start, e));
    }
    return sent;
  }

  /**
   * Looked up per publish: the last topic's meters first, then the map; allocates nothing once
   * the topic's meters exist, so publishing to several topics in turn costs no garbage.
   */
  private PublishMeters publishMeters(String topic) {
    PublishMeters last = lastPublish;
    if (last != null && (last.topic == topic || last.topic.equals(topic))) {
      return last;
    }
    String tag = topics.value(topic);
    PublishMeters m = publishMeters.get(tag);
    if (m == null) {
      m = publishMeters.computeIfAbsent(tag, PublishMeters::new);
    }
    if (m.topic.equals(topic)) { // not the _other meters, which several topics share
      lastPublish = m;
    }
    return m;
  }

  private final class PublishMeters {
    private final String topic; // the tag's value (_other stands for many topics)
    private final Timer confirmed;
    private final Counter sent;
    private final Map<String, Meters> failures;

    PublishMeters(String topic) {
      this.failures = new ConcurrentHashMap<>();
      this.topic = topic;
      this.confirmed = timer(NONE);
      this.sent = counter(NONE);
    }

    private Timer timer(String error) {
      return Timer.builder("messaging.client.operation.duration").description("Publish, until confirmed or failed")
          .tags(tags(error)).register(registry);
    }

    private Counter counter(String error) {
      return Counter.builder("messaging.client.sent.messages").description("Messages published")
          .tags(tags(error)).register(registry);
    }

    private Tags tags(String error) {
      return Tags.of("messaging.system", system, "messaging.destination.name", topic,
          "messaging.operation.name", "publish", "messaging.operation.type", "send", "error.type", error);
    }

    void record(long nanos, Throwable failure) {
      if (failure == null) {
        confirmed.record(nanos, TimeUnit.NANOSECONDS);
        sent.increment();
        return;
      }
      Meters m = failures.computeIfAbsent(errorType(failure), e -> new Meters(timer(e), counter(e)));
      m.timer.record(nanos, TimeUnit.NANOSECONDS);
      m.counter.increment();
    }
  }

  private record Meters(Timer timer, Counter counter) {}

  // ---- consumer side

  @Override
  public void around(Delivery delivery, MessageHandler next) throws Exception {
    ConsumerMeters meters = consumer(delivery);
    long start = System.nanoTime();
    try {
      next.handle(delivery);
    } catch (Exception | Error e) {
      meters.processFailed(System.nanoTime() - start, e);
      throw e;
    }
    meters.processed.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
  }

  /**
   * Looked up three times per delivery: first the last one (a delivery's topic and group are its
   * subscription's strings, so equals is mostly an identity check), then the maps; allocates
   * nothing once the pair's meters exist, so deliveries of several subscriptions in turn cost no
   * garbage.
   */
  private ConsumerMeters consumer(Delivery d) {
    String rawTopic = d.topic();
    String rawGroup = d.group();
    ConsumerMeters last = lastConsumer;
    if (last != null && last.topic.equals(rawTopic) && last.group.equals(rawGroup)) {
      return last;
    }
    String topic = topics.value(rawTopic);
    String group = groups.value(rawGroup);
    Map<String, ConsumerMeters> byGroup = consumerMeters.get(topic);
    ConsumerMeters meters = byGroup != null ? byGroup.get(group) : null;
    if (meters == null) {
      meters = consumerMeters.computeIfAbsent(topic, t -> new ConcurrentHashMap<>())
          .computeIfAbsent(group, g -> new ConsumerMeters(topic, g));
    }
    if (meters.topic.equals(rawTopic) && meters.group.equals(rawGroup)) {
      lastConsumer = meters; // not meters tagged _other, which several topics or groups share
    }
    return meters;
  }

  private final class ConsumerMeters {
    private final String topic; // the tags' values (_other stands for many topics or groups)
    private final String group;
    private final Tags tags;
    final Timer processed;
    final Counter consumed;
    final Counter acked;
    final Counter retried;
    final Counter redelivered;
    final Counter deadLettered;
    final Counter duplicate;
    final Counter released;
    private final Map<String, Timer> failed = new ConcurrentHashMap<>();

    ConsumerMeters(String topic, String group) {
      this.topic = topic;
      this.group = group;
      this.tags = Tags.of("messaging.system", system, "messaging.destination.name", topic,
          "messaging.consumer.group.name", group);
      this.processed = processTimer(NONE);
      this.consumed = Counter.builder("messaging.client.consumed.messages").description("Deliveries started")
          .tags(tags).register(registry);
      this.acked = outcome("acked");
      this.retried = outcome("retried");
      this.redelivered = outcome("redelivered");
      this.deadLettered = outcome("dead_lettered");
      this.duplicate = outcome("duplicate");
      this.released = outcome("released");
    }

    private Timer processTimer(String error) {
      return Timer.builder("messaging.process.duration").description("Handler calls")
          .tags(tags.and("messaging.operation.name", "process", "error.type", error)).register(registry);
    }

    private Counter outcome(String outcome) {
      return Counter.builder("courier.delivery.outcomes").description("How deliveries and attempts ended")
          .tags(tags.and("courier.outcome", outcome)).register(registry);
    }

    void processFailed(long nanos, Throwable e) {
      failed.computeIfAbsent(errorType(e), this::processTimer).record(nanos, TimeUnit.NANOSECONDS);
    }
  }

  @Override
  public void started(Delivery delivery) {
    consumer(delivery).consumed.increment();
  }

  @Override
  public void acked(Delivery delivery, Duration handlerTime) {
    consumer(delivery).acked.increment();
  }

  @Override
  public void retried(Delivery delivery, Throwable failure, Duration backoff) {
    consumer(delivery).retried.increment();
  }

  @Override
  public void redelivered(Delivery delivery, Throwable failure, Duration delay) {
    consumer(delivery).redelivered.increment();
  }

  @Override
  public void deadLettered(Delivery delivery, Throwable failure, String deadLetterTopic) {
    consumer(delivery).deadLettered.increment();
  }

  @Override
  public void duplicateSkipped(Delivery delivery) {
    consumer(delivery).duplicate.increment();
  }

  @Override
  public void released(Delivery delivery, Release reason) {
    consumer(delivery).released.increment();
  }

  // ---- gauges

  @Override
  public void subscribed(Subscription subscription) {
    String topic = topics.value(subscription.topic());
    String group = groups.value(subscription.group());
    gauges.compute(topic + '\u0000' + group, (k, g) -> {
      GroupGauges gg = g != null ? g : new GroupGauges(topic, group);
      gg.subscriptions.add(subscription);
      return gg;
    });
  }

  @Override
  public void unsubscribed(Subscription subscription) {
    String key = topics.value(subscription.topic()) + '\u0000' + groups.value(subscription.group());
    gauges.computeIfPresent(key, (k, g) -> {
      g.subscriptions.remove(subscription);
      if (g.subscriptions.isEmpty()) {
        registry.remove(g.inFlight);
        registry.remove(g.backlog);
        return null;
      }
      return g;
    });
  }

  /**
   * The gauges of one group, over its open subscriptions in this Courier; past the cardinality
   * guard, of every group tagged {@code _other} alike.
   */
  private final class GroupGauges {
    final java.util.Set<Subscription> subscriptions = ConcurrentHashMap.newKeySet();
    final Gauge inFlight;
    final Gauge backlog;
    private volatile long backlogAt = System.nanoTime() - backlogRefresh.toNanos() - 1;
    private volatile double backlogValue = Double.NaN;

    GroupGauges(String topicTag, String groupTag) {
      Tags tags = Tags.of("messaging.system", system, "messaging.destination.name", topicTag,
          "messaging.consumer.group.name", groupTag);
      this.inFlight = Gauge.builder("courier.deliveries.in_flight", this, GroupGauges::inFlight)
          .description("Unsettled deliveries of the group's subscriptions").tags(tags).register(registry);
      this.backlog = Gauge.builder("courier.backlog", this, GroupGauges::backlog)
          .description("Messages of the group not yet consumed; NaN where the broker cannot tell")
          .tags(tags).register(registry);
    }

    double inFlight() {
      int n = 0;
      for (Subscription s : subscriptions) {
        n += s.inFlight().now();
      }
      return n;
    }

    /**
     * The sum over the distinct groups of the subscriptions, NaN if the broker cannot tell one of
     * them; asked of the broker at most every backlogRefresh: a scrape must not cost a broker call
     * per gauge.
     */
    double backlog() {
      long now = System.nanoTime();
      if (now - backlogAt > backlogRefresh.toNanos()) {
        backlogAt = now;
        java.util.Set<Map.Entry<String, String>> groups = new java.util.HashSet<>();
        for (Subscription s : subscriptions) {
          groups.add(Map.entry(s.topic(), s.group()));
        }
        double sum = 0;
        try {
          for (Map.Entry<String, String> g : groups) {
            var b = courier.admin().backlog(g.getKey(), g.getValue());
            sum += b.isPresent() ? b.getAsLong() : Double.NaN;
          }
        } catch (RuntimeException e) {
          sum = Double.NaN; // closed, or the broker is unreachable: unknown, not zero
        }
        backlogValue = sum;
      }
      return backlogValue;
    }
  }

  /** The semantic conventions' well-known values where an adapter has one, else its name. */
  static String system(String adapter) {
    return switch (adapter) {
      case "sqs" -> "aws_sqs";
      case "gcp-pubsub" -> "gcp_pubsub";
      default -> adapter;
    };
  }

  private static String errorType(Throwable t) {
    Throwable cause = t;
    while (cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause.getClass().getName();
  }

  /** Options of the binding; {@link #bind} registers it with a Courier. */
  public static final class Builder {
    private final MeterRegistry registry;
    private int maxTopics = 100;
    private int maxGroups = 100;
    private Duration backlogRefresh = Duration.ofSeconds(15);

    private Builder(MeterRegistry registry) {
      this.registry = Objects.requireNonNull(registry, "registry");
    }

    /** Distinct topic tag values before the rest become {@code _other}; default 100. */
    public Builder maxTopics(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("maxTopics must be at least 1, was " + max);
      }
      this.maxTopics = max;
      return this;
    }

    /** Distinct group tag values before the rest become {@code _other}; default 100. */
    public Builder maxGroups(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("maxGroups must be at least 1, was " + max);
      }
      this.maxGroups = max;
      return this;
    }

    /** How often the backlog gauge may ask the broker; default 15 s. */
    public Builder backlogRefresh(Duration refresh) {
      Objects.requireNonNull(refresh, "backlogRefresh");
      if (refresh.isNegative()) {
        throw new IllegalArgumentException("backlogRefresh must not be negative, was " + refresh);
      }
      this.backlogRefresh = refresh;
      return this;
    }

    /**
     * Registers the meters' listener and interceptors with {@code courier}: publishes and handler
     * calls from now on are measured, and open subscriptions, earlier ones too, get gauges.
     */
    public CourierMetrics bind(Courier courier) {
      Objects.requireNonNull(courier, "courier");
      CourierMetrics metrics = new CourierMetrics(this, courier);
      courier.addListener(metrics);
      courier.addPublishInterceptor(metrics);
      courier.addDeliveryInterceptor(metrics);
      return metrics;
    }
  }
}
