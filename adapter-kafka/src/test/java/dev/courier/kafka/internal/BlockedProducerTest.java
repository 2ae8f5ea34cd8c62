package dev.courier.kafka.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.Message;
import dev.courier.kafka.KafkaTestSupport;
import dev.courier.kafka.KafkaTransport;
import dev.courier.spi.ReceiveSpec;
import dev.courier.spi.TransportDelivery;
import dev.courier.testsupport.Poll;
import java.time.Duration;
import java.util.Collections;
import java.util.Properties;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Receivers whose copies to the delay topic block in the producer: the delay topic does not exist
 * yet (the test broker never auto-creates topics), so each send waits for its metadata up to
 * {@code max.block.ms}, as it does when a broker is unreachable or the producer's buffer is full.
 */
@DisplayName("Kafka receiver with a producer blocked on its delay topic, against a real broker")
class BlockedProducerTest extends SharedBrokerTest {
  private static final Duration MAX_BLOCK = Duration.ofSeconds(60);
  private static final Duration LATER = Duration.ofHours(1);

  @Test
  @DisplayName("a delayed publish whose copy blocks in the producer does not hold up the records behind it:"
      + " the poll thread never sends")
  void blockedCopyDoesNotHoldUpThePollThread() throws Exception {
    String topic = unique("bp", "poll");
    String group = unique("bp", "g");
    transport.ensureGroup(topic, group);
    LinkedBlockingQueue<TransportDelivery> q = new LinkedBlockingQueue<>();
    try (KafkaProducer<byte[], byte[]> producer = producer();
        KafkaReceiver r = receiver(topic, group, unique("bp", "missing"), producer, q)) {
      transport.sendDelayed(topic, message("later"), LATER).join();
      transport.send(topic, message("now")).join();
      TransportDelivery now = q.poll(15, TimeUnit.SECONDS);
      assertNotNull(now, "the record behind a delayed publish whose copy blocks was not handed over within 15 s"
          + " (the poll thread blocks in producer.send up to max.block, " + MAX_BLOCK + ")");
      assertEquals("now", now.message().id());
      assertEquals(1, r.copiesInProgress(), "the delayed publish's copy was not blocked in the producer");
      now.ack();
      producer.close(Duration.ZERO); // fails the blocked copy: the receiver closes without waiting for it
    }
  }

  @Test
  @DisplayName("a copy queued behind a blocked one is not written once its partition was revoked: the partition's"
      + " next owner copies that record itself, so it is held once, not twice")
  void queuedCopyOfARevokedPartitionIsNotWritten() throws Exception {
    String topic = unique("bp", "revoke");
    String group = unique("bp", "g");
    String delay = unique("bp", "late-delay");
    transport.ensureGroup(topic, group);
    LinkedBlockingQueue<TransportDelivery> q = new LinkedBlockingQueue<>();
    try (KafkaProducer<byte[], byte[]> producer = producer();
        KafkaReceiver first = receiver(topic, group, delay, producer, q)) {
      transport.sendDelayed(topic, message("d1"), LATER).join();
      transport.sendDelayed(topic, message("d2"), LATER).join();
      // d1's copy blocks in the producer, d2's waits behind it on the same thread.
      assertTrue(Poll.until(Duration.ofSeconds(15), () -> first.copiesInProgress() == 2),
          "the receiver did not start copying both delayed publishes");
      try (KafkaReceiver second = receiver(topic, group, delay, producer, q)) {
        assertTrue(Poll.until(Duration.ofSeconds(30), () -> probe.stableWith(KafkaTransport.groupId(topic, group), 2)),
            "the second member did not join: the first one's partition was not revoked");
        assertTrue(first.copiesInProgress() >= 2, "the copies were no longer blocked when the partition was revoked"
            + " (its next owner may be this member again, copying them a second time)");
        probe.createTopic(delay); // d1's copy goes through, then d2's queued one is due
        assertTrue(Poll.until(Duration.ofSeconds(30), () -> Collections.frequency(probe.ids(delay), "d2") >= 1
                && first.copiesInProgress() == 0 && second.copiesInProgress() == 0),
            "the partition's owner did not copy d2 to the delay topic: " + probe.ids(delay));
        assertTrue(Poll.holdsFor(Duration.ofSeconds(2), () -> Collections.frequency(probe.ids(delay), "d2") == 1),
            "d2 was copied to the delay topic twice, by the revoked member and by the partition's owner: "
                + probe.ids(delay));
      }
    }
  }

  private static Message message(String id) {
    return Message.builder().id(id).key("k").payload(new byte[] {1}).build();
  }

  private static KafkaProducer<byte[], byte[]> producer() {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaTestSupport.broker().bootstrapServers());
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(MAX_BLOCK.toMillis()));
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** A started member of the Courier group reading {@code topic}, copying to {@code delayTopic}. */
  private static KafkaReceiver receiver(String topic, String group, String delayTopic,
      KafkaProducer<byte[], byte[]> producer, LinkedBlockingQueue<TransportDelivery> q) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaTestSupport.broker().bootstrapServers());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, KafkaTransport.groupId(topic, group));
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, RangeAssignor.class.getName());
    p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "10000");
    p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "1000");
    KafkaReceiver.Settings settings = new KafkaReceiver.Settings(Duration.ofMillis(200), Duration.ofSeconds(1),
        Duration.ofSeconds(15), 10_000, Duration.ofSeconds(1));
    KafkaReceiver r = new KafkaReceiver(new ReceiveSpec(topic, group, 10, false), delayTopic, 1, p, producer, settings,
        q::add, x -> {});
    r.start();
    return r;
  }
}
