package dev.courier.kafka;

import dev.courier.Capabilities;
import dev.courier.Capability;
import dev.courier.GroupOptions;
import dev.courier.Message;
import dev.courier.PayloadTooLargeException;
import dev.courier.PublishException;
import dev.courier.kafka.internal.KafkaReceiver;
import dev.courier.kafka.internal.RecordMapper;
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
import java.util.OptionalLong;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.RetriableException;

/**
 * Courier's Apache Kafka adapter ({@code kafka}): the facade. A topic is a Kafka topic; a group on
 * a topic is the consumer group {@code <group>@<topic>}. Publishing uses one idempotent producer
 * with {@code acks=all}; a key picks the partition, messages without one go round robin. Each
 * subscription is a {@link KafkaReceiver}, redelivering through the group's delay topic
 * {@code <topic>.<group>.delay}; a delayed publish goes to the topic with its due time in a header,
 * and each group's receiver holds it in that delay topic until due. Topic administration is
 * {@link KafkaTopics}, backlog and peek {@link KafkaBacklog}. The core validates arguments first.
 * Thread-safe.
 */
public final class KafkaTransport implements Transport, TopicBrowser {
  public static final String NAME = "kafka";
  private static final int MAX_HEADER_BYTES = 16 * 1024;
  private static final int MAX_HEADERS = 64;
  // Kafka's own rule: legal characters, at most 249, and never "." or ".."; consumer groups
  // <group>@<topic> ('@' is never in a name, and group ids have no length limit).
  private static final NamingRules NAMING = NamingRules.of(249, Pattern.compile("(?!\\.{1,2}$)[A-Za-z0-9._\\-]+"),
      "letters, digits, '.', '_' and '-' (not '.' or '..' alone)", ".").withGroupNames("{group}@{topic}", Integer.MAX_VALUE);

  private final KafkaSettings settings;
  private final Producer<byte[], byte[]> producer;
  private final Admin admin;
  private final KafkaTopics topics;
  private final KafkaBacklog backlog;
  private final Capabilities capabilities;
  private final int messageMaxBytes;
  private final OpenReceivers<KafkaReceiver> open =
      new OpenReceivers<>(() -> new IllegalStateException("the Kafka transport is closed"));
  private final AtomicInteger roundRobin = new AtomicInteger();

  KafkaTransport(KafkaSettings settings) {
    this.settings = settings;
    this.admin = Admin.create(settings.adminProperties());
    this.topics = new KafkaTopics(settings, admin);
    try {
      this.messageMaxBytes = settings.maxMessageBytes().orElseGet(topics::brokerMessageMaxBytes);
      Properties producerProperties = settings.producerProperties();
      producerProperties.putIfAbsent(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(messageMaxBytes));
      this.producer = new KafkaProducer<>(producerProperties);
    } catch (RuntimeException e) {
      admin.close(Duration.ofSeconds(1));
      throw e;
    }
    topics.useProducer(producer);
    this.backlog = new KafkaBacklog(settings, topics);
    int framing = 10 * MAX_HEADERS + 4096; // per-header framing, id, key, record and delay-topic overhead
    int headroom = MAX_HEADER_BYTES + framing;
    this.capabilities = Capabilities.builder()
        .with(Capability.FAN_OUT, Capability.ORDERED_BY_KEY, Capability.PERSISTENT, Capability.DELAYED_REDELIVERY,
            Capability.DELAYED_PUBLISH, Capability.PEEK)
        .maxPayloadBytes(Math.max(1024, messageMaxBytes - headroom))
        .maxHeaders(MAX_HEADERS)
        .maxHeaderBytes(MAX_HEADER_BYTES)
        .maxMessageBytes(Math.max(1024 + MAX_HEADER_BYTES, messageMaxBytes - framing))
        .maxPublishDelay(KafkaReceiver.MAX_DELAY)
        .maxRedeliveryDelay(KafkaReceiver.MAX_DELAY)
        .build();
  }

  /** A builder for explicit construction in code; {@link KafkaTransportProvider} uses it for configuration. */
  public static KafkaSettings.Builder builder(String bootstrapServers) {
    return KafkaSettings.builder(bootstrapServers);
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

  /** The broker's record size limit this transport checks against (message.max.bytes). */
  public int messageMaxBytes() {
    return messageMaxBytes;
  }

  @Override
  public CompletableFuture<Void> send(String topic, Message message) {
    open.checkOpen();
    try {
      return send(record(topic, message), message);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public List<CompletableFuture<Void>> sendAll(String topic, List<Message> messages) {
    open.checkOpen();
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(messages.size());
    for (Message m : messages) {
      records.add(record(topic, m)); // every size check before the first send
    }
    List<CompletableFuture<Void>> futures = new ArrayList<>(messages.size());
    for (int i = 0; i < records.size(); i++) {
      futures.add(send(records.get(i), messages.get(i)));
    }
    return futures;
  }

  private ProducerRecord<byte[], byte[]> record(String topic, Message message) {
    checkSize(message, RecordMapper.estimatedSize(message), "a Kafka record");
    if (settings.autoCreateTopics()) {
      ensureTopic(topic); // checks the transport is open first
    }
    Integer partition = message.key().isEmpty() ? unkeyedPartition(topic) : null;
    return RecordMapper.toRecord(topic, partition, message);
  }

  private void checkSize(Message message, int size, String as) {
    if (size > messageMaxBytes) {
      throw new PayloadTooLargeException("message " + message.id() + " takes about " + size + " bytes as " + as
          + " (payload, key and headers); the broker's limit (message.max.bytes) is " + messageMaxBytes);
    }
  }

  /** The partition of {@code topic} for the next message without a key: round robin, so competing consumers share them. */
  private int unkeyedPartition(String topic) {
    int n = topics.partitions(topic);
    return n <= 1 ? 0 : Math.floorMod(roundRobin.getAndIncrement(), n);
  }

  /** As {@link #send}, with the due time in a header: it reaches the groups that exist when it is published. */
  @Override
  public CompletableFuture<Void> sendDelayed(String topic, Message message, Duration delay) {
    open.checkOpen();
    long due = System.currentTimeMillis() + delay.toMillis();
    try {
      checkSize(message, RecordMapper.estimatedSize(message) + RecordMapper.DELAYED_OVERHEAD, "a delayed Kafka record");
      return send(RecordMapper.delayed(record(topic, message), due), message);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Sends through the producer. A failure says whether the record may have been stored: not if the
   * producer refused it on this thread (no metadata, no buffer space) or the broker refused it;
   * maybe if the producer gave up retrying (a request in flight may have stored it).
   */
  private CompletableFuture<Void> send(ProducerRecord<byte[], byte[]> record, Message message) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    Thread caller = Thread.currentThread();
    AtomicBoolean inSend = new AtomicBoolean(true);
    try {
      producer.send(record, (metadata, e) -> {
        if (e == null) {
          done.complete(null);
        } else if (inSend.get() && Thread.currentThread() == caller) {
          done.completeExceptionally(refusedBeforeSending(record, message, e));
        } else {
          done.completeExceptionally(new PublishException("Kafka did not accept message " + message.id()
              + " on '" + record.topic() + "': " + e + (refused(e) ? "" : "; it may or may not have been stored"), e));
        }
      });
    } catch (RuntimeException e) {
      done.completeExceptionally(refusedBeforeSending(record, message, e));
    } finally {
      inSend.set(false);
    }
    return done;
  }

  private static PublishException refusedBeforeSending(ProducerRecord<byte[], byte[]> record, Message message, Exception e) {
    return new PublishException("Kafka producer refused message " + message.id() + " for '" + record.topic()
        + "' before sending it (it is not stored): " + e, e);
  }

  /** Whether the broker refused the record (not stored); a retriable error or a client failure leaves it open. */
  private static boolean refused(Exception e) {
    return e instanceof ApiException && !(e instanceof RetriableException);
  }

  @Override
  public Receiver receive(ReceiveSpec spec, DeliverySink sink) {
    open.checkOpen();
    ensureGroup(spec.topic(), spec.group());
    String delayTopic = delayTopic(spec.topic(), spec.group());
    topics.ensureHoldingTopic(delayTopic, topics.partitions(spec.topic()));
    Properties props = settings.consumerProperties(groupId(spec.topic(), spec.group()), Math.min(500, spec.maxInFlight()));
    KafkaReceiver receiver = new KafkaReceiver(spec, delayTopic, topics.partitions(delayTopic), props, producer,
        settings.receiverSettings(), sink, open::remove);
    open.add(receiver); // closes it and throws if this transport closed meanwhile
    receiver.start();
    return receiver;
  }

  /** The Kafka group of a Courier group on a topic, {@code <group>@<topic>}: never shared across topics. */
  public static String groupId(String topic, String group) {
    return NAMING.groupName(topic, group);
  }

  /** The topic holding a group's redeliveries until they are due: {@code <topic>.<group>.delay} ({@link NamingRules#derived}). */
  public static String delayTopic(String topic, String group) {
    return NAMING.derived(NamingRules.Derived.DELAY, topic, group);
  }

  @Override
  public void ensureTopic(String topic) {
    open.checkOpen();
    topics.ensureTopic(topic);
  }

  /** Needs no {@code options} at creation: a partition's single owner keeps its keys in order. */
  @Override
  public void ensureGroup(String topic, String group, GroupOptions options) {
    open.checkOpen();
    topics.ensureGroup(topic, group);
  }

  @Override
  public OptionalLong backlog(String topic, String group) {
    open.checkOpen();
    return backlog.backlog(topic, group);
  }

  @Override
  public List<Message> peek(String topic, String group, int max) {
    open.checkOpen();
    return backlog.peek(topic, group, max);
  }

  @Override
  public void close() {
    if (!open.close()) {
      return;
    }
    try {
      producer.close(settings.closeTimeout());
    } finally {
      admin.close(settings.closeTimeout());
    }
  }

  @Override
  public String toString() {
    return "KafkaTransport{" + settings + ", " + capabilities + '}';
  }
}
