package dev.courier.kafka;

import dev.courier.CourierException;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A transport's topic administration: creating topics (and waiting for their leaders),
 * provisioning a group's starting position, partition counts and committed offsets. Remembers the
 * topics and groups it knows exist, so each is created or provisioned once. Thread-safe.
 */
final class KafkaTopics {
  private static final Logger log = LoggerFactory.getLogger(KafkaTopics.class);
  private static final int DEFAULT_MESSAGE_MAX_BYTES = 1_048_588;
  /** Retention of the delay topics: far beyond the longest delay, so a record outlives a consumer outage. */
  static final Duration DELAY_RETENTION = Duration.ofDays(7);

  private final KafkaSettings settings;
  private final Admin admin;
  private final Set<String> knownTopics = ConcurrentHashMap.newKeySet();
  private final Set<String> provisionedGroups = ConcurrentHashMap.newKeySet();
  private final Map<String, Integer> partitionCounts = new ConcurrentHashMap<>();
  private volatile Producer<byte[], byte[]> producer;

  KafkaTopics(KafkaSettings settings, Admin admin) {
    this.settings = settings;
    this.admin = admin;
  }

  /** The producer whose metadata gives partition counts; set once the transport made it. */
  void useProducer(Producer<byte[], byte[]> producer) {
    this.producer = producer;
  }

  /** Creates {@code topic} with the configured partitions unless it is known to exist. */
  void ensureTopic(String topic) {
    createTopic(topic, settings.partitions(), Map.of());
  }

  /** Creates a delay topic, kept {@link #DELAY_RETENTION}, unless it is known to exist. */
  void ensureHoldingTopic(String topic, int partitions) {
    createTopic(topic, partitions, Map.of("retention.ms", Long.toString(DELAY_RETENTION.toMillis())));
  }

  private void createTopic(String topic, int partitions, Map<String, String> configs) {
    if (knownTopics.contains(topic)) {
      return;
    }
    NewTopic t = new NewTopic(topic, Optional.of(partitions), settings.replicationFactor()).configs(configs);
    call("create topic '" + topic + "'", () -> {
      try {
        admin.createTopics(List.of(t)).all().get(timeout(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof TopicExistsException) {
          return null;
        }
        throw e;
      }
      awaitLeaders(topic);
      log.debug("created topic {} with {} partitions", topic, partitions);
      return null;
    }, null);
    knownTopics.add(topic);
  }

  /**
   * Waits until every partition of a new topic has a serving leader: producing earlier failed with
   * NOT_LEADER_OR_FOLLOWER, which the idempotent producer (kafka-clients 4.3.1) turned into
   * OUT_OF_ORDER_SEQUENCE_NUMBER retries until the delivery timeout, in about half the runs.
   */
  private void awaitLeaders(String topic) throws ExecutionException, TimeoutException, InterruptedException {
    long deadline = System.nanoTime() + settings.requestTimeout().toNanos();
    while (true) {
      try {
        TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames()
            .get(timeout(), TimeUnit.MILLISECONDS).get(topic);
        if (d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty())) {
          // Metadata can name a leader before it serves the partition; ListOffsets needs the leader itself.
          offsets(d.partitions().stream().map(p -> new TopicPartition(topic, p.partition())).toList(), OffsetSpec.latest());
          return;
        }
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof RetriableException)) {
          throw e;
        }
      }
      if (System.nanoTime() > deadline) {
        throw new TimeoutException("the partitions of '" + topic + "' have no leader after " + settings.requestTimeout());
      }
      Thread.sleep(20);
    }
  }

  /** Creates the topic if needed and commits the group's starting position (the end of each partition) where it has none. */
  void ensureGroup(String topic, String group) {
    ensureTopic(topic);
    String key = topic + '\u0000' + group;
    if (provisionedGroups.contains(key)) {
      return;
    }
    call("provision group '" + group + "' on '" + topic + "'", () -> provision(topic, group), null);
    provisionedGroups.add(key);
  }

  /** Commits the end of each partition as the group's position where it has none. */
  private Void provision(String topic, String group) throws ExecutionException, TimeoutException, InterruptedException {
    String groupId = KafkaTransport.groupId(topic, group);
    List<TopicPartition> partitions = partitionList(topic);
    // Ends first, then the committed positions: a position another provisioner or member commits
    // meanwhile is never replaced by a later end (which would skip messages).
    Map<TopicPartition, Long> ends = offsets(partitions, OffsetSpec.latest());
    Map<TopicPartition, OffsetAndMetadata> committed = committed(groupId);
    Map<TopicPartition, OffsetAndMetadata> start = new HashMap<>();
    for (TopicPartition tp : partitions) {
      if (committed.get(tp) == null) {
        start.put(tp, new OffsetAndMetadata(ends.get(tp)));
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
      Map<TopicPartition, OffsetAndMetadata> now = committed(groupId);
      List<TopicPartition> unset = start.keySet().stream().filter(tp -> now.get(tp) == null).toList();
      if (!unset.isEmpty()) {
        log.warn("could not set the starting position of group {} on {} for {} ({}); those partitions are read "
            + "from their earliest record", group, topic, unset, e.getCause().toString());
      }
    }
    return null;
  }

  /** An admin call that a topic unknown to the broker yet makes fail. */
  interface AdminCall<T> {
    T call() throws ExecutionException, TimeoutException, InterruptedException;
  }

  /** Runs {@code call}, retrying while its topic is unknown; then {@code ifUnknown} if not null, else a CourierException. */
  <T> T call(String what, AdminCall<T> call, T ifUnknown) {
    long deadline = System.nanoTime() + settings.requestTimeout().toNanos();
    try {
      while (true) {
        try {
          return call.call();
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
            throw e;
          }
          Thread.sleep(50); // a topic just created may not be known to every broker yet
        }
      }
    } catch (ExecutionException e) {
      if (ifUnknown != null && e.getCause() instanceof UnknownTopicOrPartitionException) {
        return ifUnknown;
      }
      throw adminFailure(what, e.getCause());
    } catch (TimeoutException e) {
      throw adminFailure(what, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw adminFailure(what, e);
    }
  }

  /** The committed offsets of Kafka group {@code group} (a partition without one: absent or null). */
  Map<TopicPartition, OffsetAndMetadata> committed(String group)
      throws ExecutionException, TimeoutException, InterruptedException {
    return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(timeout(), TimeUnit.MILLISECONDS);
  }

  /** The offset {@code spec} names in each of {@code partitions}. */
  Map<TopicPartition, Long> offsets(Collection<TopicPartition> partitions, OffsetSpec spec)
      throws ExecutionException, TimeoutException, InterruptedException {
    Map<TopicPartition, Long> offsets = new HashMap<>();
    admin.listOffsets(partitions.stream().collect(Collectors.toMap(tp -> tp, tp -> spec, (a, b) -> a))).all()
        .get(timeout(), TimeUnit.MILLISECONDS).forEach((tp, info) -> offsets.put(tp, info.offset()));
    return offsets;
  }

  /** The number of partitions of {@code topic}, from the producer's metadata (asked once). */
  int partitions(String topic) {
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
  List<TopicPartition> partitionListIfExists(String topic)
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

  List<TopicPartition> partitionList(String topic)
      throws ExecutionException, TimeoutException, InterruptedException {
    TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames()
        .get(timeout(), TimeUnit.MILLISECONDS).get(topic);
    return d.partitions().stream().map(p -> new TopicPartition(topic, p.partition())).toList();
  }

  /** The broker's message.max.bytes, or Kafka's default if it cannot be read. */
  int brokerMessageMaxBytes() {
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

  long timeout() {
    return settings.requestTimeout().toMillis();
  }

  static CourierException adminFailure(String what, Throwable cause) {
    return new CourierException("Kafka could not " + what + ": " + cause, cause);
  }
}
