package dev.courier.inmemory;

import dev.courier.Capabilities;
import dev.courier.Capability;
import dev.courier.GroupOptions;
import dev.courier.Message;
import dev.courier.spi.DeliverySink;
import dev.courier.spi.NamingRules;
import dev.courier.spi.ReceiveSpec;
import dev.courier.spi.Receiver;
import dev.courier.spi.TopicBrowser;
import dev.courier.spi.Transport;
import dev.courier.spi.support.OpenReceivers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;

/**
 * Courier's in-process adapter ({@code inmemory}): a real broker living in the JVM, for
 * development, tests and the demo. Delivery is at least once per group: unacked deliveries return
 * on nack, on receiver close and after the ack timeout, which acts as a lease: a started delivery
 * keeps it while the core extends it ({@link Capabilities#leaseRenewalInterval()} is a fifth of
 * it). Messages are not persisted: they are lost
 * with the JVM, so it does not declare {@link Capability#PERSISTENT}.
 */
public final class InMemoryTransport implements Transport, TopicBrowser {
  public static final String NAME = "inmemory";

  private final InMemoryBroker broker;
  private final boolean ownsBroker;
  private final Capabilities capabilities;
  private final NamingRules naming = NamingRules.standard();
  private final OpenReceivers<InMemoryReceiver> open =
      new OpenReceivers<>(() -> new IllegalStateException("in-memory transport is closed"));

  private InMemoryTransport(InMemoryBroker broker, boolean ownsBroker, int maxPayloadBytes) {
    this.broker = broker;
    this.ownsBroker = ownsBroker;
    this.capabilities = Capabilities.builder()
        .with(Capability.FAN_OUT, Capability.ORDERED_BY_KEY, Capability.DELAYED_REDELIVERY,
            Capability.DELAYED_PUBLISH, Capability.PEEK)
        .maxPayloadBytes(maxPayloadBytes)
        .maxHeaders(64)
        .maxHeaderBytes(16 * 1024)
        .maxPublishDelay(Duration.ofDays(7))
        .maxRedeliveryDelay(Duration.ofDays(7))
        .leaseRenewalInterval(Duration.ofNanos(Math.max(1, broker.ackTimeoutNanos / 5)))
        .build();
  }

  /** A transport with its own private broker and default limits. */
  public static InMemoryTransport create() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
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
    return naming;
  }

  @Override
  public CompletableFuture<Void> send(String topic, Message message) {
    open.checkOpen();
    broker.publish(topic, message);
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public List<CompletableFuture<Void>> sendAll(String topic, List<Message> messages) {
    open.checkOpen();
    broker.publishAll(topic, messages);
    List<CompletableFuture<Void>> done = new ArrayList<>(messages.size());
    CompletableFuture<Void> completed = CompletableFuture.completedFuture(null);
    for (int i = 0; i < messages.size(); i++) {
      done.add(completed);
    }
    return done;
  }

  @Override
  public CompletableFuture<Void> sendDelayed(String topic, Message message, Duration delay) {
    open.checkOpen();
    broker.publishDelayed(topic, message, delay);
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public Receiver receive(ReceiveSpec spec, DeliverySink sink) {
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(sink, "sink");
    open.checkOpen();
    GroupQueue queue = broker.group(spec.topic(), spec.group());
    InMemoryReceiver receiver = new InMemoryReceiver(queue, open::remove);
    open.add(receiver); // closes it and throws if this transport closed meanwhile
    receiver.start(spec, sink);
    return receiver;
  }

  @Override
  public void ensureTopic(String topic) {
    open.checkOpen();
    broker.ensureTopic(topic);
  }

  /** Needs no {@code options}: an ordered receiver holds a key back until its previous message is settled. */
  @Override
  public void ensureGroup(String topic, String group, GroupOptions options) {
    open.checkOpen();
    broker.group(topic, group);
  }

  @Override
  public OptionalLong backlog(String topic, String group) {
    return OptionalLong.of(broker.backlog(topic, group));
  }

  /** Up to {@code max} messages waiting in the group, in delivery order, without consuming them. */
  @Override
  public List<Message> peek(String topic, String group, int max) {
    if (max < 0) {
      throw new IllegalArgumentException("max must not be negative, was " + max);
    }
    return broker.peek(topic, group, max);
  }

  @Override
  public void close() {
    if (open.close() && ownsBroker) {
      broker.shutdown();
    }
  }

  @Override
  public String toString() {
    return "InMemoryTransport{" + capabilities + '}';
  }

  /** Builds an {@link InMemoryTransport}. */
  public static final class Builder {
    private String brokerName;
    private int maxGroupBacklog = InMemoryTransportProvider.MAX_GROUP_BACKLOG.parsedDefault();
    private Duration ackTimeout = InMemoryTransportProvider.ACK_TIMEOUT.parsedDefault();
    private int maxPayloadBytes = InMemoryTransportProvider.MAX_PAYLOAD_BYTES.parsedDefault();

    private Builder() {}

    /** Share the broker registered under this name (created on first use). */
    public Builder brokerName(String name) {
      Objects.requireNonNull(name, "brokerName");
      if (name.isBlank()) {
        throw new IllegalArgumentException("brokerName must not be blank");
      }
      this.brokerName = name;
      return this;
    }

    /** Most unsettled messages one group may hold; publishing beyond it fails. */
    public Builder maxGroupBacklog(int messages) {
      this.maxGroupBacklog = InMemoryTransportProvider.MAX_GROUP_BACKLOG.check("maxGroupBacklog", messages);
      return this;
    }

    /**
     * The broker's lease: a delivery whose handler started (or last extended its lease) this long
     * ago without settling is redelivered (and counted), as if its consumer had crashed; one that
     * waited this long for a handler to start returns to the group uncounted. Courier extends the
     * lease of a running handler's delivery every fifth of it.
     */
    public Builder ackTimeout(Duration timeout) {
      this.ackTimeout = InMemoryTransportProvider.ACK_TIMEOUT.check("ackTimeout", timeout);
      return this;
    }

    public Builder maxPayloadBytes(int bytes) {
      this.maxPayloadBytes = InMemoryTransportProvider.MAX_PAYLOAD_BYTES.check("maxPayloadBytes", bytes);
      return this;
    }

    public InMemoryTransport build() {
      if (brokerName != null) {
        return new InMemoryTransport(InMemoryBroker.named(brokerName, maxGroupBacklog, ackTimeout),
            false, maxPayloadBytes);
      }
      return new InMemoryTransport(new InMemoryBroker(maxGroupBacklog, ackTimeout), true, maxPayloadBytes);
    }
  }
}
