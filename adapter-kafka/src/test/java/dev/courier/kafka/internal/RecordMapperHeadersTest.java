package dev.courier.kafka.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.Message;
import dev.courier.spi.ReceiveSpec;
import dev.courier.spi.Receiver;
import dev.courier.spi.TransportDelivery;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Kafka record mapping: a header cannot change what identifies a message")
class RecordMapperHeadersTest extends SharedBrokerTest {
  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** The one delivery of a new group on {@code topic}, after {@code publish} wrote to it. */
  private static Message receiveOne(String topic, Runnable publish) throws InterruptedException {
    String group = unique("rm", "g");
    transport.ensureGroup(topic, group);
    publish.run();
    LinkedBlockingQueue<TransportDelivery> q = new LinkedBlockingQueue<>();
    try (Receiver r = transport.receive(new ReceiveSpec(topic, group, 10, false), q::add)) {
      TransportDelivery d = q.poll(20, TimeUnit.SECONDS);
      assertTrue(d != null, "the record did not arrive");
      d.ack();
      return d.message();
    }
  }

  @Test
  @DisplayName("a message whose headers include courier-id arrives with its own id, without that header")
  void userIdHeaderCannotReplaceTheId() throws Exception {
    String topic = unique("rm", "spoof");
    Message sent = Message.builder().id("real-id").header(RecordMapper.ID, "forged-id").header("trace", "t-1")
        .payload(new byte[] {1}).build();
    Message got = receiveOne(topic, () -> transport.send(topic, sent).join());
    assertEquals("real-id", got.id(), "a user header replaced the message id");
    assertFalse(got.headers().contains(RecordMapper.ID), "the adapter's id header reached the handler");
    assertEquals(Optional.of("t-1"), got.headers().get("trace"));
  }

  @Test
  @DisplayName("a record with two courier-id headers gets the first, which Courier writes before any other header")
  void firstIdHeaderWins() throws Exception {
    String topic = unique("rm", "twice");
    ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, (Integer) null, (byte[]) null, new byte[] {2}, List.<org.apache.kafka.common.header.Header>of(
        new RecordHeader(RecordMapper.ID, utf8("real-id")), new RecordHeader(RecordMapper.ID, utf8("forged-id"))));
    Message got = receiveOne(topic, () -> KafkaProbe.produce(record));
    assertEquals("real-id", got.id());
  }

  @Test
  @DisplayName("a foreign record's key with control characters is delivered, escaped, so it cannot forge log lines")
  void foreignKeyWithControlCharacters() throws Exception {
    String topic = unique("rm", "key");
    ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, utf8("k\n[main] INFO FORGED"), new byte[] {3});
    Message got = receiveOne(topic, () -> KafkaProbe.produce(record));
    String key = got.key().orElseThrow();
    assertFalse(key.chars().anyMatch(Character::isISOControl), "raw control characters in the key: " + key);
    assertTrue(key.startsWith("k") && key.endsWith("[main] INFO FORGED"), key);
  }
}
