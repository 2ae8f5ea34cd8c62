package dev.courier.kafka;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.Courier;
import dev.courier.Message;
import dev.courier.config.CourierConfig;
import dev.courier.testsupport.KafkaBroker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Publishing while the broker is down, on a broker of its own (killing the shared one would
 * disturb other tests). The producer must keep the topic's metadata through the outage, so that
 * the publishes reach its buffer and it retries them, the case under test: the broker is killed
 * (a graceful stop can hand it metadata without the topic first) and the producer does not
 * re-bootstrap (which forgets all metadata once no broker answers); else a publish fails before
 * sending, which says nothing about retries.
 */
@DisplayName("Kafka publishes during a broker outage")
class KafkaPublishOutageTest {
  private static final int OUTAGE_PUBLISHES = 20;
  private static final String TOPIC = "kout-truth";
  private KafkaBroker broker;

  @AfterEach
  void stopBroker() {
    if (broker != null) {
      broker.close();
    }
  }

  @Test
  @DisplayName("a publish Courier fails during an outage says it may or may not be stored, and the producer has given up on it")
  void failedPublishesAreNotDeliveredLater() throws Exception {
    broker = KafkaBroker.create();
    Set<ProcessHandle> others = childProcesses();
    broker.start();
    Set<ProcessHandle> ours = childProcesses();
    ours.removeAll(others);
    assertEquals(1, ours.size(), "the broker's process among this JVM's children");
    CourierConfig config = CourierConfig.builder().classpathFile(false)
        .set("courier.broker", "kafka")
        .set("courier.publish-timeout", "3s")
        .set("courier.kafka.bootstrap-servers", broker.bootstrapServers())
        .set("courier.kafka.partitions", "1")
        .set("courier.kafka.request-timeout", "1s")
        .set("courier.kafka.max-block", "1s")
        .set("courier.kafka.max-message-bytes", "1048588")
        .set("courier.kafka.client.producer.linger.ms", "1")
        .set("courier.kafka.client.producer.metadata.recovery.strategy", "none")
        .build();
    List<String> failures = new ArrayList<>();
    try (Courier courier = Courier.fromConfig(config)) {
      courier.publisher().publish(TOPIC, message("before")).get(30, TimeUnit.SECONDS);
      ProcessHandle process = ours.iterator().next();
      process.destroyForcibly();
      process.onExit().get(30, TimeUnit.SECONDS);
      List<CompletableFuture<Void>> sent = new ArrayList<>();
      for (int i = 0; i < OUTAGE_PUBLISHES; i++) {
        sent.add(courier.publisher().publish(TOPIC, message("outage-" + i)));
      }
      for (CompletableFuture<Void> f : sent) {
        try {
          f.get(15, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          failures.add(e.getCause().getMessage());
        }
      }
      broker.start();
      courier.publisher().publish(TOPIC, message("after")).get(30, TimeUnit.SECONDS);
    }
    // One partition, one idempotent producer: whatever it still delivered of the outage's
    // publishes lies before "after", so reading up to "after" sees all of it.
    List<String> stored = readIdsUntil("after");
    Set<String> failedButStored = new HashSet<>(stored);
    failedButStored.removeIf(id -> !id.startsWith("outage-"));
    assertAll(
        () -> assertEquals(OUTAGE_PUBLISHES, failures.size(), "every publish during the outage should fail"),
        () -> assertTrue(stored.contains("before"), "the publish before the outage should be stored: " + stored),
        () -> assertEquals(Set.of(), failedButStored,
            "publishes reported as failed were stored later: the producer kept retrying after Courier gave up"),
        () -> assertTrue(failures.stream().allMatch(m -> m.contains("may or may not have been stored")),
            "a publish the producer gave up on should say it may or may not have been stored: " + failures));
  }

  /** This JVM's running child processes: the one that starting a broker adds is the broker. */
  private static Set<ProcessHandle> childProcesses() {
    Set<ProcessHandle> found = new HashSet<>();
    ProcessHandle.current().children().filter(ProcessHandle::isAlive).forEach(found::add);
    return found;
  }

  private static Message message(String id) {
    return Message.builder().id(id).payload(id.getBytes(StandardCharsets.UTF_8)).build();
  }

  /** The courier-id of every record of the topic from the start up to and including {@code lastId}. */
  private List<String> readIdsUntil(String lastId) {
    Properties p = new Properties();
    p.put("bootstrap.servers", broker.bootstrapServers());
    p.put("key.deserializer", ByteArrayDeserializer.class.getName());
    p.put("value.deserializer", ByteArrayDeserializer.class.getName());
    List<String> ids = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
      TopicPartition tp = new TopicPartition(TOPIC, 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (!ids.contains(lastId)) {
        assertTrue(System.nanoTime() < deadline, "'" + lastId + "' not read within 20 s; read " + ids);
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          Header id = r.headers().lastHeader("courier-id");
          ids.add(id == null ? "?" : new String(id.value(), StandardCharsets.UTF_8));
        }
      }
    }
    return ids;
  }
}
