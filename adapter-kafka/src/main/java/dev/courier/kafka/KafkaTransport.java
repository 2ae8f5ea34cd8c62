package dev.courier.kafka;

import dev.courier.Capabilities;
import dev.courier.Capability;
import dev.courier.GroupOptions;
import dev.courier.CourierException;
import dev.courier.Message;
import dev.courier.PayloadTooLargeException;
import dev.courier.PublishException;
import dev.courier.kafka.internal.DelayedForwarder;
import dev.courier.kafka.internal.KafkaReceiver;
import dev.courier.kafka.internal.RecordMapper;
import dev.courier.spi.DeliverySink;
import dev.courier.spi.NamingRules;
import dev.courier.spi.ReceiveSpec;
import dev.courier.spi.Receiver;
import dev.courier.spi.TopicBrowser;
import dev.courier.spi.Transport;
import dev.courier.spi.support.Backoff;
import dev.courier.spi.support.RateLimitedLog;
import dev.courier.spi.support.Threads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Courier's Apache Kafka adapter ({@code kafka}). A topic is a Kafka topic; a group on a topic is
 * the consumer group {@code <group>@<topic>} ({@link #groupId}), one per topic. Publishing uses one idempotent producer with {@code acks=all}: a message's key picks its
 * partition (messages without a key are spread round robin, so competing consumers share them);
 * the id travels in the {@code courier-id} header; the future completes from the producer's
 * callback. Consuming uses one {@link org.apache.kafka.clients.consumer.KafkaConsumer} and one poll
 * thread per subscription; see {@link KafkaReceiver} for commits, backpressure, rebalances and
 * redelivery through the group's delay topic ({@code <topic>.<group>.delay}).
 *
 * <p>Delayed publish ({@link #sendDelayed}): the message goes, with a due time, to the topic's
 * delayed-publish topic ({@code <topic>.delayed}, {@link #delayedTopic}); its future completes
 * when that copy is stored ({@code acks=all}). A {@link DelayedForwarder} per topic, a consumer in
 * the Kafka group {@code courier:forwarder@<topic>}, publishes each copy to the topic when it is
 * due, so it reaches every group that exists on the topic then. A transport runs the forwarder of
 * a topic once it sends a delayed message to it (creating the delayed-publish topic if
 * {@code auto-create-topics} allows), or once it receives from it and the delayed-publish topic
 * exists (never creating it: a topic nobody publishes delayed to costs no forwarder); every
 * {@value #FORWARDER_CHECK_SECONDS} s it looks again for topics it sends delayed to or receives
 * from whose forwarder is not running (a subscriber started before the first delayed publish, a
 * forwarder that stopped), until it closes. Several processes running one for a topic share its
 * partitions through the group. A failure to create or find a delayed-publish topic is remembered
 * and retried with backoff, not at every publish.
 *
 * <p>{@link #ensureGroup} creates the topic if needed and commits the group's starting position
 * (the end of each partition) when the group has none, so a group provisioned before publishing
 * receives everything published after it. {@link #peek} reads a group's uncommitted records with a
 * consumer outside the group (dead-letter peek). Thread-safe.
 */
public final class KafkaTransport implements Transport, TopicBrowser {
  public static final String NAME = "kafka";
  private static final Logger log = LoggerFactory.getLogger(KafkaTransport.class);
  private static final int DEFAULT_MESSAGE_MAX_BYTES = 1_048_588;
  private static final int MAX_HEADER_BYTES = 16 * 1024;
  private static final int MAX_HEADERS = 64;
  private static final Duration MAX_DELAY = Duration.ofDays(1);
  /** Retention of the delay and delayed-publish topics: far beyond MAX_DELAY, so a record outlives a forwarder outage. */
  private static final Duration DELAY_RETENTION = Duration.ofDays(7);
  /** How often the transport looks for topics that should have a running forwarder and have none. */
  static final int FORWARDER_CHECK_SECONDS = 30;
  /** Backoff after a failure to create or find a delayed-publish topic. */
  private static final Backoff TOPIC_FAILURE_BACKOFF = Backoff.exponential(Duration.ofSeconds(5), Duration.ofMinutes(5));
  // Kafka's own rule: legal characters, at most 249, and never "." or ".."; consumer groups
  // <group>@<topic> ('@' is never in a name, and group ids have no length limit).
  private static final NamingRules NAMING = NamingRules.of(249, Pattern.compile("(?!\\.{1,2}$)[A-Za-z0-9._\\-]+"),
      "letters, digits, '.', '_' and '-' (not '.' or '..' alone)", ".").withGroupNames("{group}@{topic}", Integer.MAX_VALUE);
  /** The forwarders' group on a topic: ':' is never in a Courier group, so it never is a subscription's. */
  private static final String FORWARDER_GROUP = "courier:forwarder";

  private final KafkaSettings settings;
  private final Producer<byte[], byte[]> producer;
  private final Admin admin;
  private final Capabilities capabilities;
  private final int messageMaxBytes;
  private final Set<String> knownTopics = ConcurrentHashMap.newKeySet();
  private final Set<String> provisionedGroups = ConcurrentHashMap.newKeySet();
  private final Map<String, Integer> partitionCounts = new ConcurrentHashMap<>();
  private final Set<KafkaReceiver> receivers = ConcurrentHashMap.newKeySet();
  /** The running forwarders by topic; guarded by itself for start and close. */
  private final Map<String, DelayedForwarder> forwarders = new HashMap<>();
  /** Topics this transport sends delayed to or receives from: each should have a running forwarder. */
  private final Set<String> forwardedTopics = ConcurrentHashMap.newKeySet();
  /** Delayed-publish topics whose creation or lookup failed: no admin call for them until the backoff ends. */
  private final Map<String, TopicFailure> topicFailures = new ConcurrentHashMap<>();
  /** Failures of the forwarder upkeep are logged at WARN at most once a minute, else at DEBUG. */
  private final RateLimitedLog failureLog = new RateLimitedLog(Duration.ofMinutes(1));
  /** Runs the forwarder upkeep; started with the first forwarded topic, guarded by {@link #forwarders}. */
  private ScheduledExecutorService upkeep;
  private final AtomicInteger roundRobin = new AtomicInteger();
  private final AtomicBoolean closed = new AtomicBoolean();

  KafkaTransport(KafkaSettings settings) {
    this.settings = settings;
    this.admin = Admin.create(settings.adminProperties());
    try {
      this.messageMaxBytes = settings.maxMessageBytes().orElseGet(this::brokerMessageMaxBytes);
      this.producer = new KafkaProducer<>(producerProperties(settings, messageMaxBytes));
    } catch (RuntimeException e) {
      admin.close(Duration.ofSeconds(1));
      throw e;
    }
    int framing = 10 * MAX_HEADERS + 4096; // per-header framing, id, key, record and delay-topic overhead
    int headroom = MAX_HEADER_BYTES + framing;
    this.capabilities = Capabilities.builder()
        .with(Capability.FAN_OUT, Capability.ORDERED_BY_KEY, Capability.PERSISTENT, Capability.DELAYED_REDELIVERY,
            Capability.DELAYED_PUBLISH, Capability.PEEK)
        .maxPayloadBytes(Math.max(1024, messageMaxBytes - headroom))
        .maxHeaders(MAX_HEADERS)
        .maxHeaderBytes(MAX_HEADER_BYTES)
        .maxMessageBytes(Math.max(1024 + MAX_HEADER_BYTES, messageMaxBytes - framing))
        .maxPublishDelay(MAX_DELAY)
        .maxRedeliveryDelay(MAX_DELAY)
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
    checkOpen();
    try {
      return send(record(topic, message), message);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public List<CompletableFuture<Void>> sendAll(String topic, List<Message> messages) {
    checkOpen();
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
    int size = RecordMapper.estimatedSize(message);
    if (size > messageMaxBytes) {
      throw new PayloadTooLargeException("message " + message.id() + " takes about " + size
          + " bytes as a Kafka record (payload, key and headers); the broker's limit (message.max.bytes) is "
          + messageMaxBytes);
    }
    if (settings.autoCreateTopics() && !knownTopics.contains(topic)) {
      ensureTopic(topic);
    }
    Integer partition = message.key().isEmpty() ? unkeyedPartition(topic) : null;
    return RecordMapper.toRecord(topic, partition, message);
  }

  /** The partition of {@code topic} for the next message without a key: round robin, so competing consumers share them. */
  private int unkeyedPartition(String topic) {
    int n = partitions(topic);
    return n <= 1 ? 0 : Math.floorMod(roundRobin.getAndIncrement(), n);
  }

  /**
   * Stores {@code message} with its due time in the topic's delayed-publish topic; the future
   * completes when the broker has stored it ({@code acks=all}). The topic's forwarder, started here
   * if this transport does not run it yet, publishes it to {@code topic} when it is due. The topic
   * and its delayed-publish topic are created first if {@code auto-create-topics} is on (as
   * {@link #send} creates the topic); if off, a missing delayed-publish topic fails the publish as a
   * missing topic fails {@link #send} (unless the broker creates it), and the forwarder starts once
   * it exists. A failed creation fails the publish, and later publishes fail fast with it (no admin
   * call) until its backoff ends. Null
   * arguments, an invalid topic name and a delay that is negative or above {@link Capabilities#maxPublishDelay()}
   * throw before any I/O; a message too large for the broker fails the future, also before any I/O.
   */
  @Override
  public CompletableFuture<Void> sendDelayed(String topic, Message message, Duration delay) {
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(delay, "delay");
    checkOpen();
    NAMING.validateTopic(topic);
    if (delay.isNegative()) {
      throw new IllegalArgumentException("delay must not be negative, was " + delay);
    }
    if (delay.compareTo(MAX_DELAY) > 0) {
      throw new IllegalArgumentException("delay " + delay + " exceeds the Kafka adapter's maximum of " + MAX_DELAY);
    }
    int size = RecordMapper.estimatedSize(message) + RecordMapper.DELAYED_OVERHEAD;
    if (size > messageMaxBytes) {
      return CompletableFuture.failedFuture(new PayloadTooLargeException("message " + message.id() + " takes about "
          + size + " bytes as a delayed Kafka record (payload, key and headers); the broker's limit "
          + "(message.max.bytes) is " + messageMaxBytes));
    }
    long due = System.currentTimeMillis() + delay.toMillis();
    try {
      String delayed = delayedTopic(topic);
      boolean running = ensureForwarder(topic, settings.autoCreateTopics());
      Integer partition = message.key().isEmpty() ? unkeyedPartition(delayed) : null;
      CompletableFuture<Void> sent = send(RecordMapper.toDelayed(delayed, partition, message, topic, due), message);
      if (!running) {
        // The delayed-publish topic exists now (the broker created it, or someone else did): start
        // the forwarder without waiting for the next upkeep round.
        sent.thenRun(() -> runUpkeep(() -> ensureForwarder(topic, false)));
      }
      return sent;
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Starts this transport's forwarder of {@code topic} unless it runs already. With
   * {@code create}, creates the topic and its delayed-publish topic first (a failure throws);
   * without, starts it only if the delayed-publish topic exists. Either way the upkeep looks again
   * every {@value #FORWARDER_CHECK_SECONDS} s while it does not run. Returns whether it runs.
   */
  private boolean ensureForwarder(String topic, boolean create) {
    forwardedTopics.add(topic);
    startUpkeep();
    if (forwarderRunning(topic)) {
      return true;
    }
    String delayed = delayedTopic(topic);
    if (create) {
      if (!knownTopics.contains(topic)) {
        ensureTopic(topic);
      }
      createDelayedTopic(topic, delayed);
    } else if (!delayedTopicExists(delayed)) {
      return false;
    }
    DelayedForwarder forwarder;
    synchronized (forwarders) {
      checkOpen(); // close() takes its snapshot under this lock: a forwarder added here is closed with the rest
      if (forwarders.containsKey(topic)) {
        return true;
      }
      forwarder = new DelayedForwarder(topic, delayed,
          settings.consumerProperties(forwarderGroupId(topic), 500), producer, settings.receiverSettings(),
          () -> unkeyedPartition(topic), this::forwarderStopped);
      forwarders.put(topic, forwarder);
    }
    forwarder.start();
    log.debug("started the delayed-publish forwarder of {}", topic);
    return true;
  }

  private boolean forwarderRunning(String topic) {
    synchronized (forwarders) {
      return forwarders.containsKey(topic);
    }
  }

  /** Creates {@code delayed} unless it exists; a failure is remembered: until its backoff ends it is thrown again. */
  private void createDelayedTopic(String topic, String delayed) {
    if (knownTopics.contains(delayed)) {
      return;
    }
    TopicFailure failed = topicFailures.get(delayed);
    if (failed != null && System.currentTimeMillis() < failed.retryAt()) {
      throw failed.error();
    }
    try {
      createTopic(delayed, partitions(topic), Map.of("retention.ms", Long.toString(DELAY_RETENTION.toMillis())));
      topicFailures.remove(delayed);
    } catch (RuntimeException e) {
      if (closed.get()) {
        throw e;
      }
      if (existsDespite(delayed)) {
        return; // say, allowed to write to it but not to create topics
      }
      CourierException error = e instanceof CourierException c ? c
          : adminFailure("create topic '" + delayed + "'", e);
      topicFailed(delayed, error);
      throw error;
    }
  }

  /** After a failed creation: whether the topic exists all the same (one lookup; false if that fails too). */
  private boolean existsDespite(String topic) {
    try {
      lookUp(topic);
      return true;
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      return false;
    }
  }

  /** Describes {@code topic}; once the broker knows it, remembers it as known and forgets its failures. */
  private void lookUp(String topic) throws ExecutionException, TimeoutException, InterruptedException {
    admin.describeTopics(List.of(topic)).allTopicNames().get(timeout(), TimeUnit.MILLISECONDS);
    knownTopics.add(topic);
    topicFailures.remove(topic);
  }

  /**
   * Whether {@code delayed} exists, without creating it. A failed lookup (not "unknown topic") is
   * remembered: until its backoff ends the answer is false without asking the broker.
   */
  private boolean delayedTopicExists(String delayed) {
    if (knownTopics.contains(delayed)) {
      return true;
    }
    TopicFailure failed = topicFailures.get(delayed);
    if (failed != null && System.currentTimeMillis() < failed.retryAt()) {
      return false;
    }
    try {
      lookUp(delayed);
      return true;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        topicFailures.remove(delayed);
        return false;
      }
      topicFailed(delayed, adminFailure("look up topic '" + delayed + "'", e.getCause()));
      return false;
    } catch (TimeoutException e) {
      topicFailed(delayed, adminFailure("look up topic '" + delayed + "'", e));
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Remembers a failure for {@code topic}, backing off (doubling) before the next admin call; logs at most once a minute. */
  private void topicFailed(String topic, CourierException error) {
    TopicFailure before = topicFailures.get(topic);
    int failures = before == null ? 1 : before.failures() + 1;
    long backoff = TOPIC_FAILURE_BACKOFF.delayMillis(failures);
    topicFailures.put(topic, new TopicFailure(System.currentTimeMillis() + backoff, error, failures));
    logFailure("{}; delayed publishes to its topic are not forwarded by this process until it succeeds "
        + "(next attempt in {} s, {} failures)", error.getMessage(), backoff / 1000, failures);
  }

  private void logFailure(String format, Object... args) {
    if (failureLog.admit() != RateLimitedLog.SUPPRESSED) {
      log.warn(format, args);
    } else {
      log.debug(format, args);
    }
  }

  /** A remembered failure to create or look up a delayed-publish topic. */
  private record TopicFailure(long retryAt, CourierException error, int failures) {}

  /** Starts the upkeep thread unless it runs: every FORWARDER_CHECK_SECONDS, start the missing forwarders. */
  private void startUpkeep() {
    synchronized (forwarders) {
      if (upkeep != null || closed.get()) {
        return;
      }
      upkeep = Executors.newSingleThreadScheduledExecutor(Threads.factory("courier-kafka-forwarder-upkeep", true));
      upkeep.scheduleWithFixedDelay(this::startMissingForwarders, FORWARDER_CHECK_SECONDS, FORWARDER_CHECK_SECONDS,
          TimeUnit.SECONDS);
    }
  }

  /** Runs {@code task} on the upkeep thread (nothing if the transport closed). */
  private void runUpkeep(Runnable task) {
    synchronized (forwarders) {
      if (upkeep == null || closed.get()) {
        return;
      }
      try {
        upkeep.execute(() -> {
          try {
            task.run();
          } catch (RuntimeException e) {
            if (!closed.get()) {
              logFailure("could not start a delayed-publish forwarder ({})", e.toString());
            }
          }
        });
      } catch (RejectedExecutionException e) {
        // closing
      }
    }
  }

  private void startMissingForwarders() {
    for (String topic : forwardedTopics) {
      if (closed.get()) {
        return;
      }
      try {
        if (!forwarderRunning(topic)) {
          ensureForwarder(topic, false);
        }
      } catch (RuntimeException e) {
        if (!closed.get()) {
          logFailure("could not start the delayed-publish forwarder of {} ({}); trying again in {} s", topic,
              e.toString(), FORWARDER_CHECK_SECONDS);
        }
      }
    }
  }

  private void forwarderStopped(DelayedForwarder f) {
    synchronized (forwarders) {
      forwarders.remove(f.topic(), f); // the upkeep (or a later sendDelayed or receive) starts a new one
    }
  }

  /**
   * Sends through the producer. A failure says whether the record may have been stored: not if the
   * producer refused it before sending (in {@code send} itself, on this thread: no metadata within
   * max.block.ms, no buffer space...) or the broker refused it; maybe if the producer gave up
   * retrying it (delivery.timeout.ms), as a request in flight may have stored it.
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

  /**
   * Whether the broker answered a produce request with a refusal, so the record is not stored. A
   * retriable error (above all the producer's delivery timeout) or a failure of the client itself
   * leaves it open: a request in flight may have stored the record.
   */
  private static boolean refused(Exception e) {
    return e instanceof ApiException && !(e instanceof RetriableException);
  }

  @Override
  public Receiver receive(ReceiveSpec spec, DeliverySink sink) {
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(sink, "sink");
    checkOpen();
    ensureGroup(spec.topic(), spec.group());
    String delayTopic = delayTopic(spec.topic(), spec.group());
    int partitions = partitions(spec.topic());
    createTopic(delayTopic, partitions, Map.of("retention.ms", Long.toString(DELAY_RETENTION.toMillis())));
    try {
      // Forwards the topic's delayed publishes while subscribed: now if its delayed-publish topic
      // exists, else once the upkeep finds it does (never creating it here).
      ensureForwarder(spec.topic(), false);
    } catch (RuntimeException e) {
      if (closed.get()) {
        throw e;
      }
      logFailure("could not start the delayed-publish forwarder of {} ({}); trying again in {} s; meanwhile delayed "
          + "messages to it are forwarded by the processes that publish them", spec.topic(), e.toString(),
          FORWARDER_CHECK_SECONDS);
    }
    Properties props = settings.consumerProperties(groupId(spec.topic(), spec.group()), Math.min(500, spec.maxInFlight()));
    KafkaReceiver receiver = new KafkaReceiver(spec, delayTopic, partitions(delayTopic), props, producer,
        settings.receiverSettings(), sink, receivers::remove);
    receivers.add(receiver);
    if (closed.get()) {
      // close() ran between the check above and the add, and may have missed this receiver.
      receivers.remove(receiver);
      receiver.close();
      throw new IllegalStateException("the Kafka transport is closed");
    }
    receiver.start();
    return receiver;
  }

  /**
   * The Kafka consumer group of a Courier group on one topic: {@code <group>@<topic>}
   * ({@link NamingRules#groupName}). One Kafka group per topic, so a Courier group on several
   * topics never shares positions or rebalances across them.
   */
  public static String groupId(String topic, String group) {
    return NAMING.groupName(topic, group);
  }

  /** The Kafka consumer group of a topic's delayed-publish forwarders: {@code courier:forwarder@<topic>}. */
  public static String forwarderGroupId(String topic) {
    return NAMING.groupName(topic, FORWARDER_GROUP);
  }

  /** The topic holding a topic's delayed publishes until they are due: {@code <topic>.delayed} ({@link NamingRules#derived}). */
  public static String delayedTopic(String topic) {
    return NAMING.derived(NamingRules.Derived.DELAYED_PUBLISH, topic);
  }

  /** The topic holding a group's redeliveries until they are due: {@code <topic>.<group>.delay} ({@link NamingRules#derived}). */
  public static String delayTopic(String topic, String group) {
    return NAMING.derived(NamingRules.Derived.DELAY, topic, group);
  }

  @Override
  public void ensureTopic(String topic) {
    checkOpen();
    if (!knownTopics.contains(topic)) {
      createTopic(topic, settings.partitions(), Map.of());
    }
  }

  private void createTopic(String topic, int partitions, Map<String, String> configs) {
    if (knownTopics.contains(topic)) {
      return;
    }
    NewTopic t = new NewTopic(topic, Optional.of(partitions), settings.replicationFactor()).configs(configs);
    try {
      admin.createTopics(List.of(t)).all().get(settings.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
      awaitLeaders(topic);
      log.debug("created topic {} with {} partitions", topic, partitions);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw adminFailure("create topic '" + topic + "'", e.getCause());
      }
    } catch (TimeoutException e) {
      throw adminFailure("create topic '" + topic + "'", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw adminFailure("create topic '" + topic + "'", e);
    }
    knownTopics.add(topic);
  }

  /**
   * Waits until the broker serves every partition of a new topic as leader. Producing earlier fails
   * with NOT_LEADER_OR_FOLLOWER, which the idempotent producer (kafka-clients 4.3.1) can turn into
   * OUT_OF_ORDER_SEQUENCE_NUMBER retries until the delivery timeout; seen here in about half of
   * the runs that published right after creating a topic.
   */
  private void awaitLeaders(String topic) throws ExecutionException, TimeoutException, InterruptedException {
    long deadline = System.nanoTime() + settings.requestTimeout().toNanos();
    while (true) {
      try {
        TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames()
            .get(timeout(), TimeUnit.MILLISECONDS).get(topic);
        if (d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty())) {
          // Metadata can name a leader before it serves the partition; ListOffsets needs the leader itself.
          Map<TopicPartition, OffsetSpec> probe = new HashMap<>();
          d.partitions().forEach(p -> probe.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
          admin.listOffsets(probe).all().get(timeout(), TimeUnit.MILLISECONDS);
          return;
        }
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof org.apache.kafka.common.errors.RetriableException)) {
          throw e;
        }
      }
      if (System.nanoTime() > deadline) {
        throw new TimeoutException("the partitions of '" + topic + "' have no leader after " + settings.requestTimeout());
      }
      Thread.sleep(20);
    }
  }

  /** Needs no {@code options} at creation: a partition's single owner keeps its keys in order. */
  @Override
  public void ensureGroup(String topic, String group, GroupOptions options) {
    checkOpen();
    ensureTopic(topic);
    String key = topic + '\u0000' + group;
    if (provisionedGroups.contains(key)) {
      return;
    }
    try {
      retryingUnknownTopic(() -> provision(topic, group));
      provisionedGroups.add(key);
    } catch (ExecutionException e) {
      throw adminFailure("provision group '" + group + "' on '" + topic + "'", e.getCause());
    } catch (TimeoutException e) {
      throw adminFailure("provision group '" + group + "' on '" + topic + "'", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw adminFailure("provision group '" + group + "' on '" + topic + "'", e);
    }
  }

  /** Commits the end of each partition as the group's position where it has none. */
  private Void provision(String topic, String group) throws ExecutionException, TimeoutException, InterruptedException {
    String groupId = groupId(topic, group);
    List<TopicPartition> partitions = partitionList(topic);
    // Ends first, then the committed positions: a position another provisioner or member commits
    // meanwhile is never replaced by a later end (which would skip messages).
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    partitions.forEach(tp -> latest.put(tp, OffsetSpec.latest()));
    Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends =
        admin.listOffsets(latest).all().get(timeout(), TimeUnit.MILLISECONDS);
    Map<TopicPartition, OffsetAndMetadata> committed = committed(groupId, partitions);
    Map<TopicPartition, OffsetAndMetadata> start = new HashMap<>();
    for (TopicPartition tp : partitions) {
      if (committed.get(tp) == null) {
        start.put(tp, new OffsetAndMetadata(ends.get(tp).offset()));
      }
    }
    if (start.isEmpty()) {
      return null;
    }
    try {
      admin.alterConsumerGroupOffsets(groupId, start).all().get(timeout(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        throw e;
      }
      // Live members of this very topic and group: whatever they committed meanwhile stands. A
      // partition still without a position is read from its earliest record by its next owner.
      Map<TopicPartition, OffsetAndMetadata> now = committed(groupId, partitions);
      List<TopicPartition> unset = start.keySet().stream().filter(tp -> now.get(tp) == null).toList();
      if (!unset.isEmpty()) {
        log.warn("could not set the starting position of group {} on {} for {} ({}); those partitions are read "
            + "from their earliest record", group, topic, unset, e.getCause().toString());
      }
    }
    return null;
  }

  private interface AdminCall<T> {
    T call() throws ExecutionException, TimeoutException, InterruptedException;
  }

  /** A topic just created may not be known to every broker yet: retry briefly while it is not. */
  private <T> T retryingUnknownTopic(AdminCall<T> call) throws ExecutionException, TimeoutException, InterruptedException {
    long deadline = System.nanoTime() + settings.requestTimeout().toNanos();
    while (true) {
      try {
        return call.call();
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(50);
      }
    }
  }

  @Override
  public OptionalLong backlog(String topic, String group) {
    checkOpen();
    try {
      return OptionalLong.of(retryingUnknownTopic(() -> countBacklog(topic, group)));
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        return OptionalLong.of(0);
      }
      throw adminFailure("count the backlog of '" + group + "' on '" + topic + "'", e.getCause());
    } catch (TimeoutException e) {
      throw adminFailure("count the backlog of '" + group + "' on '" + topic + "'", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw adminFailure("count the backlog of '" + group + "' on '" + topic + "'", e);
    }
  }

  private long countBacklog(String topic, String group) throws ExecutionException, TimeoutException, InterruptedException {
    long total = 0;
    for (long[] range : uncommitted(topic, group).values()) {
      total += range[1] - range[0];
    }
    return total;
  }

  /**
   * Per partition of {@code topic} and of the group's delay topic (where it exists), the offsets
   * [from, until) the group has not committed; partitions with none are left out.
   */
  private Map<TopicPartition, long[]> uncommitted(String topic, String group)
      throws ExecutionException, TimeoutException, InterruptedException {
    List<TopicPartition> partitions = new ArrayList<>(partitionList(topic));
    partitions.addAll(partitionListIfExists(delayTopic(topic, group)));
    Map<TopicPartition, OffsetAndMetadata> committed = committed(groupId(topic, group), partitions);
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
    partitions.forEach(tp -> {
      latest.put(tp, OffsetSpec.latest());
      earliest.put(tp, OffsetSpec.earliest());
    });
    var ends = admin.listOffsets(latest).all().get(timeout(), TimeUnit.MILLISECONDS);
    var starts = admin.listOffsets(earliest).all().get(timeout(), TimeUnit.MILLISECONDS);
    Map<TopicPartition, long[]> ranges = new HashMap<>();
    for (TopicPartition tp : partitions) {
      OffsetAndMetadata c = committed.get(tp);
      long from = Math.max(c == null ? 0 : c.offset(), starts.get(tp).offset());
      long until = ends.get(tp).offset();
      if (from < until) {
        ranges.put(tp, new long[] {from, until});
      }
    }
    return ranges;
  }

  /**
   * Reads up to {@code max} records the group has not committed, oldest (by timestamp) first, with
   * a consumer outside the group: nothing is committed, locked or counted.
   */
  @Override
  public List<Message> peek(String topic, String group, int max) {
    checkOpen();
    if (max < 1) {
      throw new IllegalArgumentException("max must be at least 1, was " + max);
    }
    Map<TopicPartition, Long> from = new HashMap<>();
    Map<TopicPartition, Long> until = new HashMap<>();
    try {
      retryingUnknownTopic(() -> {
        uncommitted(topic, group).forEach((tp, range) -> {
          from.put(tp, range[0]);
          until.put(tp, Math.min(range[1], range[0] + max));
        });
        return null;
      });
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        return List.of();
      }
      throw adminFailure("peek at '" + topic + "'", e.getCause());
    } catch (TimeoutException e) {
      throw adminFailure("peek at '" + topic + "'", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw adminFailure("peek at '" + topic + "'", e);
    }
    if (from.isEmpty()) {
      return List.of();
    }
    List<org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]>> read = new ArrayList<>();
    try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]>(
        settings.browserProperties(Math.min(500, max)))) {
      consumer.assign(from.keySet());
      from.forEach(consumer::seek);
      Set<TopicPartition> open = new java.util.HashSet<>(from.keySet());
      long deadline = System.nanoTime() + settings.requestTimeout().toNanos();
      while (!open.isEmpty() && System.nanoTime() < deadline) {
        for (var r : consumer.poll(Duration.ofMillis(100))) {
          TopicPartition tp = new TopicPartition(r.topic(), r.partition());
          if (r.offset() < until.get(tp)) {
            read.add(r);
          }
          if (r.offset() + 1 >= until.get(tp)) {
            open.remove(tp);
          }
        }
        for (TopicPartition tp : new ArrayList<>(open)) {
          if (consumer.position(tp) >= until.get(tp)) {
            open.remove(tp);
          }
        }
      }
    }
    read.sort(java.util.Comparator.comparingLong((org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]> r) -> r.timestamp())
        .thenComparingInt(r -> r.partition()).thenComparingLong(r -> r.offset()));
    return read.stream().limit(max).map(RecordMapper::toMessage).toList();
  }

  private Map<TopicPartition, OffsetAndMetadata> committed(String group, List<TopicPartition> partitions)
      throws ExecutionException, TimeoutException, InterruptedException {
    Map<TopicPartition, OffsetAndMetadata> all = admin.listConsumerGroupOffsets(group)
        .partitionsToOffsetAndMetadata().get(timeout(), TimeUnit.MILLISECONDS);
    Map<TopicPartition, OffsetAndMetadata> ours = new HashMap<>();
    for (TopicPartition tp : partitions) {
      OffsetAndMetadata o = all.get(tp);
      if (o != null) {
        ours.put(tp, o);
      }
    }
    return ours;
  }

  private int partitions(String topic) {
    Integer n = partitionCounts.get(topic);
    if (n != null) {
      return n;
    }
    try {
      n = producer.partitionsFor(topic).size();
    } catch (RuntimeException e) {
      throw adminFailure("find the partitions of '" + topic + "'", e);
    }
    partitionCounts.put(topic, n);
    return n;
  }

  /** The partitions of {@code topic}, or none if it does not exist (asked once, not retried). */
  private List<TopicPartition> partitionListIfExists(String topic)
      throws ExecutionException, TimeoutException, InterruptedException {
    try {
      return partitionList(topic);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        return List.of();
      }
      throw e;
    }
  }

  private List<TopicPartition> partitionList(String topic)
      throws ExecutionException, TimeoutException, InterruptedException {
    TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames()
        .get(timeout(), TimeUnit.MILLISECONDS).get(topic);
    return d.partitions().stream().map(p -> new TopicPartition(topic, p.partition())).toList();
  }

  private long timeout() {
    return settings.requestTimeout().toMillis();
  }

  private int brokerMessageMaxBytes() {
    try {
      Node node = admin.describeCluster().nodes().get(timeout(), TimeUnit.MILLISECONDS).iterator().next();
      ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, Integer.toString(node.id()));
      Config config = admin.describeConfigs(List.of(broker)).all().get(timeout(), TimeUnit.MILLISECONDS).get(broker);
      return Integer.parseInt(config.get("message.max.bytes").value());
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      log.warn("could not read message.max.bytes from the Kafka broker ({}); assuming the default {}",
          e.toString(), DEFAULT_MESSAGE_MAX_BYTES);
      return DEFAULT_MESSAGE_MAX_BYTES;
    }
  }

  private static Properties producerProperties(KafkaSettings settings, int messageMaxBytes) {
    Properties p = settings.producerProperties();
    p.putIfAbsent(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(messageMaxBytes));
    return p;
  }

  private static CourierException adminFailure(String what, Throwable cause) {
    return new CourierException("Kafka could not " + what + ": " + cause, cause);
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (KafkaReceiver r : new ArrayList<>(receivers)) {
      try {
        r.close();
      } catch (RuntimeException e) {
        log.warn("closing {} failed", r, e);
      }
    }
    List<DelayedForwarder> running;
    synchronized (forwarders) {
      running = new ArrayList<>(forwarders.values());
      if (upkeep != null) {
        upkeep.shutdownNow();
      }
    }
    // All at once, then wait for each: before the producer closes, as they wait for their forwards' acks.
    for (DelayedForwarder f : running) {
      try {
        f.beginClose();
      } catch (RuntimeException e) {
        log.warn("closing {} failed", f, e);
      }
    }
    running.forEach(DelayedForwarder::awaitClosed);
    try {
      producer.close(settings.closeTimeout());
    } finally {
      admin.close(settings.closeTimeout());
    }
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new IllegalStateException("the Kafka transport is closed");
    }
  }

  @Override
  public String toString() {
    return "KafkaTransport{" + settings + ", " + capabilities + '}';
  }
}
