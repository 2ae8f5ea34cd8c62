package dev.courier.bench;

import dev.courier.Courier;
import dev.courier.Message;
import dev.courier.Publisher;
import dev.courier.Subscription;
import dev.courier.SubscriptionOptions;
import dev.courier.bench.driver.Endpoint;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import java.util.function.UnaryOperator;

/** The workload through Courier, on any adapter: a fresh topic (and group {@value #GROUP}) per phase. */
final class CourierEndpoint implements Endpoint {
  /** The consuming group (Pub/Sub wants names of at least 3 characters). */
  static final String GROUP = "bench";

  /** What a broker's Courier side does after a phase (delete its queues, say), outside the timed part. */
  interface Cleanup {
    void discard(String topic) throws Exception;
  }

  private final Courier courier;
  private final Publisher publisher;
  private boolean groupForPublishOnly;
  private IntFunction<String> key;
  private UnaryOperator<SubscriptionOptions.Builder> subscription = UnaryOperator.identity();
  private int subscribers = 1;
  private Cleanup cleanup = topic -> {};
  private final List<AutoCloseable> closeWith = new ArrayList<>();

  CourierEndpoint(Courier courier) {
    this.courier = courier;
    this.publisher = courier.publisher();
  }

  /** The publish-only phase publishes into an existing group, which stores the messages (RabbitMQ's queue). */
  CourierEndpoint groupForPublishOnly() {
    groupForPublishOnly = true;
    return this;
  }

  /** Each message's key from its index (Kafka's partitioning). */
  CourierEndpoint keys(IntFunction<String> key) {
    this.key = key;
    return this;
  }

  CourierEndpoint subscription(UnaryOperator<SubscriptionOptions.Builder> options) {
    this.subscription = options;
    return this;
  }

  /** This many competing subscriptions in the group. */
  CourierEndpoint subscribers(int subscribers) {
    this.subscribers = subscribers;
    return this;
  }

  CourierEndpoint cleanup(Cleanup cleanup) {
    this.cleanup = cleanup;
    return this;
  }

  /** Closed with this endpoint, after Courier (a tracing SDK, say). */
  CourierEndpoint closeWith(AutoCloseable resource) {
    closeWith.add(resource);
    return this;
  }

  @Override
  public String create(boolean consumed) {
    String topic = "bench-courier-" + UUID.randomUUID();
    if (consumed || groupForPublishOnly) {
      courier.admin().ensureGroup(topic, GROUP);
    } else {
      courier.admin().ensureTopic(topic);
    }
    return topic;
  }

  @Override
  public void publish(String topic, int index, byte[] payload, Confirm confirm) {
    Message.Builder message = Message.builder().payload(payload);
    if (key != null) {
      message.key(key.apply(index));
    }
    publisher.publish(topic, message.build()).whenComplete((ok, e) -> confirm.done(e));
  }

  @Override
  public AutoCloseable consume(String topic, Consumer<ByteBuffer> handler) {
    List<Subscription> subscriptions = new ArrayList<>();
    for (int i = 0; i < subscribers; i++) {
      subscriptions.add(courier.subscribe(subscription.apply(SubscriptionOptions.builder(topic, GROUP)).build(),
          d -> handler.accept(d.message().payloadBuffer())));
    }
    return () -> {
      for (Subscription s : subscriptions) {
        s.close();
      }
    };
  }

  @Override
  public void discard(String topic) throws Exception {
    cleanup.discard(topic);
  }

  @Override
  public void close() throws Exception {
    courier.close();
    for (AutoCloseable c : closeWith) {
      c.close();
    }
  }
}
