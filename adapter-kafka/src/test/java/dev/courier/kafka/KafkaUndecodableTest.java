package dev.courier.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.Courier;
import dev.courier.CourierHeaders;
import dev.courier.DeadLetters;
import dev.courier.Message;
import dev.courier.PayloadDecodeException;
import dev.courier.SubscriptionOptions;
import dev.courier.testsupport.Poll;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Kafka: a foreign record Courier cannot carry is dead-lettered as undecodable")
class KafkaUndecodableTest {
  @Test
  @DisplayName("a control character in a header name, a non-UTF-8 header value or an invalid id: dead-lettered with partition and offset, never handled, and the next record flows")
  void foreignRecordsDeadLettered() throws Exception {
    String topic = "undecodable-" + UUID.randomUUID().toString().substring(0, 8);
    BlockingQueue<String> handled = new LinkedBlockingQueue<>();
    try (Courier courier = KafkaTestSupport.newCourier()) {
      courier.admin().ensureGroup(topic, "g");
      courier.subscribe(SubscriptionOptions.builder(topic, "g").concurrency(1).maxInFlight(1).build(),
          d -> handled.add(new String(d.message().payload(), StandardCharsets.UTF_8)));
      Properties p = new Properties();
      p.put("bootstrap.servers", KafkaTestSupport.broker().bootstrapServers());
      try (KafkaProducer<byte[], byte[]> raw = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
        send(raw, topic, "bad name", "bad\u0001name", bytes("v"));
        send(raw, topic, "bad value", "text", new byte[] {(byte) 0xff, (byte) 0xfe, 'x'});
        send(raw, topic, "bad id", "courier-id", bytes("id\nforged"));
        send(raw, topic, "good", "text", bytes("fine"));
        raw.flush();
      }
      assertEquals("good", handled.poll(60, TimeUnit.SECONDS), "the good record after three undecodable ones");
      DeadLetters dlq = courier.admin().deadLetters(topic, "g");
      Poll.until(Duration.ofSeconds(30), () -> dlq.count().orElse(0) >= 3);
      List<Message> dead = dlq.peek(10);
      assertEquals(Set.of("bad name", "bad value", "bad id"),
          dead.stream().map(m -> new String(m.payload(), StandardCharsets.UTF_8)).collect(Collectors.toSet()));
      for (Message m : dead) {
        assertEquals("undecodable", m.headers().get(CourierHeaders.DLQ_REASON).orElse(null), m.headers().toString());
        assertEquals(PayloadDecodeException.class.getName(), m.headers().get(CourierHeaders.DLQ_EXCEPTION_CLASS).orElse(null));
        String brokerId = m.headers().get(CourierHeaders.BROKER_ID).orElse("");
        assertTrue(brokerId.matches("kafka:" + topic + "-\\d+@\\d+"), brokerId);
        String offset = brokerId.substring(brokerId.lastIndexOf('@') + 1);
        assertTrue(m.id().startsWith("kafka-" + topic + "-") && m.id().endsWith("-" + offset), m.id());
      }
      assertEquals(null, handled.poll(200, TimeUnit.MILLISECONDS), "the handler saw an undecodable record");
    }
  }

  private static void send(KafkaProducer<byte[], byte[]> raw, String topic, String value, String header,
      byte[] headerValue) throws Exception {
    ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(topic, bytes("same-key"), bytes(value));
    r.headers().add(header, headerValue);
    raw.send(r).get(30, TimeUnit.SECONDS);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
