package dev.courier.kafka;

import dev.courier.Message;
import dev.courier.kafka.internal.RecordMapper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * What a group has not committed yet, on a topic and on the group's delay topic: counted from
 * the offsets ({@link #backlog}) or read with a consumer outside the group ({@link #peek}), so
 * nothing is committed, locked or counted. Thread-safe.
 */
final class KafkaBacklog {
  private final KafkaSettings settings;
  private final KafkaTopics topics;

  KafkaBacklog(KafkaSettings settings, KafkaTopics topics) {
    this.settings = settings;
    this.topics = topics;
  }

  /** The records {@code group} has not committed on {@code topic} and its delay topic; 0 if the topic does not exist. */
  OptionalLong backlog(String topic, String group) {
    return OptionalLong.of(topics.call("count the backlog of '" + group + "' on '" + topic + "'",
        () -> uncommitted(topic, group).values().stream().mapToLong(range -> range[1] - range[0]).sum(), 0L));
  }

  /** Per partition of the topic and the group's delay topic (where it exists), the offsets [from, until) not committed. */
  private Map<TopicPartition, long[]> uncommitted(String topic, String group)
      throws ExecutionException, TimeoutException, InterruptedException {
    List<TopicPartition> partitions = new ArrayList<>(topics.partitionList(topic));
    partitions.addAll(topics.partitionListIfExists(KafkaTransport.delayTopic(topic, group)));
    Map<TopicPartition, OffsetAndMetadata> committed = topics.committed(KafkaTransport.groupId(topic, group));
    Map<TopicPartition, Long> ends = topics.offsets(partitions, OffsetSpec.latest());
    Map<TopicPartition, Long> starts = topics.offsets(partitions, OffsetSpec.earliest());
    Map<TopicPartition, long[]> ranges = new HashMap<>();
    for (TopicPartition tp : partitions) {
      OffsetAndMetadata c = committed.get(tp);
      long from = Math.max(c == null ? 0 : c.offset(), starts.get(tp));
      long until = ends.get(tp);
      if (from < until) {
        ranges.put(tp, new long[] {from, until});
      }
    }
    return ranges;
  }

  /** Up to {@code max} records the group has not committed, oldest (by timestamp) first, read from outside the group. */
  List<Message> peek(String topic, String group, int max) {
    Map<TopicPartition, Long> from = new HashMap<>();
    Map<TopicPartition, Long> until = new HashMap<>();
    topics.call("peek at '" + topic + "'", () -> uncommitted(topic, group), Map.<TopicPartition, long[]>of())
        .forEach((tp, range) -> {
          from.put(tp, range[0]);
          until.put(tp, Math.min(range[1], range[0] + max));
        });
    if (from.isEmpty()) {
      return List.of();
    }
    List<ConsumerRecord<byte[], byte[]>> read = new ArrayList<>();
    try (var consumer = new KafkaConsumer<byte[], byte[]>(settings.browserProperties(Math.min(500, max)))) {
      consumer.assign(from.keySet());
      from.forEach(consumer::seek);
      Set<TopicPartition> open = new HashSet<>(from.keySet());
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
    read.sort(Comparator.comparingLong((ConsumerRecord<byte[], byte[]> r) -> RecordMapper.messageTimestamp(r))
        .thenComparingInt(r -> r.partition()).thenComparingLong(r -> r.offset()));
    return read.stream().limit(max).map(r -> RecordMapper.decode(r).message()).toList();
  }
}
