package dev.courier.kafka.internal;

import dev.courier.kafka.KafkaTestSupport;
import dev.courier.kafka.KafkaTransport;
import dev.courier.testsupport.Poll;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/** Looks at the broker from outside the adapter: committed offsets, end offsets, topics and their configuration. */
final class KafkaProbe implements AutoCloseable {
  private final Admin admin;

  KafkaProbe() {
    Properties p = new Properties();
    p.put("bootstrap.servers", KafkaTestSupport.broker().bootstrapServers());
    admin = Admin.create(p);
  }

  /** The Courier group's committed offset on a partition of {@code topic}; -1 if none. */
  long committed(String group, String topic, int partition) {
    return committedIn(KafkaTransport.groupId(topic, group), topic, partition);
  }

  /** The Kafka group's committed offset on a partition of {@code topic}; -1 if none. */
  long committedIn(String kafkaGroup, String topic, int partition) {
    try {
      Map<TopicPartition, OffsetAndMetadata> all = admin.listConsumerGroupOffsets(kafkaGroup)
          .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
      OffsetAndMetadata o = all.get(new TopicPartition(topic, partition));
      return o == null ? -1 : o.offset();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The end offset of a partition of {@code topic}. */
  long endOffset(String topic, int partition) {
    try {
      TopicPartition tp = new TopicPartition(topic, partition);
      return admin.listOffsets(Map.of(tp, org.apache.kafka.clients.admin.OffsetSpec.latest())).all()
          .get(10, TimeUnit.SECONDS).get(tp).offset();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Writes {@code record} with a plain producer, as a foreign application would; waits for the broker's ack. */
  static void produce(org.apache.kafka.clients.producer.ProducerRecord<byte[], byte[]> record) {
    Properties p = new Properties();
    p.put("bootstrap.servers", KafkaTestSupport.broker().bootstrapServers());
    try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<>(p,
        new org.apache.kafka.common.serialization.ByteArraySerializer(),
        new org.apache.kafka.common.serialization.ByteArraySerializer())) {
      producer.send(record).get(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** A long header of the record at {@code offset} of a partition of {@code topic}, read from outside any group. */
  long longHeader(String topic, int partition, long offset, String header) {
    var h = record(topic, partition, offset).headers().lastHeader(header);
    return h == null ? -1 : Long.parseLong(new String(h.value(), java.nio.charset.StandardCharsets.UTF_8));
  }

  /** A consumer outside any group, for reading partitions it is assigned. */
  private static org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]> browser() {
    Properties p = new Properties();
    p.put("bootstrap.servers", KafkaTestSupport.broker().bootstrapServers());
    return new org.apache.kafka.clients.consumer.KafkaConsumer<>(p,
        new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
        new org.apache.kafka.common.serialization.ByteArrayDeserializer());
  }

  /** The record at {@code offset} of a partition of {@code topic}, read from outside any group. */
  org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]> record(String topic, int partition, long offset) {
    try (var consumer = browser()) {
      TopicPartition tp = new TopicPartition(topic, partition);
      consumer.assign(java.util.List.of(tp));
      consumer.seek(tp, offset);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (System.nanoTime() < deadline) {
        for (var r : consumer.poll(Duration.ofMillis(200))) {
          if (r.offset() == offset) {
            return r;
          }
        }
      }
      throw new IllegalStateException("no record at " + tp + "@" + offset + " within 10 s");
    }
  }

  /** Creates a topic of one partition. */
  void createTopic(String topic) {
    try {
      admin.createTopics(java.util.List.of(new org.apache.kafka.clients.admin.NewTopic(topic, 1, (short) 1))).all()
          .get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The courier-id of every record in partition 0 of {@code topic}, in offset order, read from outside any group. */
  java.util.List<String> ids(String topic) {
    long end = endOffset(topic, 0);
    java.util.List<String> ids = new java.util.ArrayList<>();
    try (var consumer = browser()) {
      TopicPartition tp = new TopicPartition(topic, 0);
      consumer.assign(java.util.List.of(tp));
      consumer.seekToBeginning(java.util.List.of(tp));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (consumer.position(tp) < end) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("could not read " + tp + " to offset " + end + " within 10 s");
        }
        for (var r : consumer.poll(Duration.ofMillis(200))) {
          var h = r.headers().lastHeader(RecordMapper.ID);
          ids.add(h == null ? null : new String(h.value(), java.nio.charset.StandardCharsets.UTF_8));
        }
      }
    }
    return ids;
  }

  /** Whether the Kafka group has {@code members} members and no rebalance in progress. */
  boolean stableWith(String kafkaGroup, int members) {
    try {
      var d = admin.describeConsumerGroups(java.util.List.of(kafkaGroup)).all().get(10, TimeUnit.SECONDS).get(kafkaGroup);
      return d.groupState() == org.apache.kafka.common.GroupState.STABLE && d.members().size() == members;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Whether the broker has a topic of that name. */
  boolean topicExists(String topic) {
    try {
      return admin.listTopics().names().get(10, TimeUnit.SECONDS).contains(topic);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Sets one configuration entry of a topic. */
  void setTopicConfig(String topic, String name, String value) {
    try {
      var resource = new org.apache.kafka.common.config.ConfigResource(
          org.apache.kafka.common.config.ConfigResource.Type.TOPIC, topic);
      var op = new org.apache.kafka.clients.admin.AlterConfigOp(new org.apache.kafka.clients.admin.ConfigEntry(name, value),
          org.apache.kafka.clients.admin.AlterConfigOp.OpType.SET);
      admin.incrementalAlterConfigs(Map.of(resource, java.util.List.of(op))).all().get(10, TimeUnit.SECONDS);
      // The controller has committed the change; the broker applies it from the metadata log a
      // little later. Wait until the broker reports it, so the caller's next step sees it.
      boolean applied = Poll.until(Duration.ofSeconds(10), () -> {
        try {
          var entry = admin.describeConfigs(java.util.List.of(resource)).all().get(10, TimeUnit.SECONDS)
              .get(resource).get(name);
          return entry != null && value.equals(entry.value());
        } catch (Exception e) {
          return false;
        }
      });
      if (!applied) {
        throw new IllegalStateException("the broker did not apply " + name + "=" + value + " to " + topic + " within 10 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    admin.close(Duration.ofSeconds(2));
  }
}
