package dev.courier.rabbitmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.impl.LongStringHelper;
import dev.courier.Courier;
import dev.courier.CourierHeaders;
import dev.courier.DeadLetters;
import dev.courier.Message;
import dev.courier.PayloadDecodeException;
import dev.courier.SubscriptionOptions;
import dev.courier.Subscription;
import dev.courier.rabbitmq.internal.AmqpMessages;
import dev.courier.rabbitmq.internal.Topology;
import dev.courier.testsupport.Poll;
import dev.courier.testsupport.RabbitMqServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("RabbitMQ: a foreign message Courier cannot carry is dead-lettered as undecodable")
class RabbitMqUndecodableTest {
  @AfterAll
  static void deleteQueues() {
    LeftoverQueues.deleteStartingWith("undecodable-" + LeftoverQueues.RUN + "-");
  }

  @Test
  @DisplayName("a control character in a header name or a non-UTF-8 header value: dead-lettered with the broker's id, never handled, and the next message flows")
  void foreignMessagesDeadLettered() throws Exception {
    RabbitMqSettings settings = RabbitMqSettings.builder().uri(RabbitMqServer.shared().uri())
        .connectionName("courier-test-undecodable").build();
    String topic = "undecodable-" + LeftoverQueues.RUN + "-" + UUID.randomUUID();
    BlockingQueue<String> handled = new LinkedBlockingQueue<>();
    try (Courier courier = Courier.builder().transport(RabbitMqTransport.connect(settings)).build()) {
      courier.admin().ensureGroup(topic, "g");
      Subscription s = courier.subscribe(SubscriptionOptions.builder(topic, "g").concurrency(1).maxInFlight(1).build(),
          d -> handled.add(new String(d.message().payload(), StandardCharsets.UTF_8)));
      try (Connection c = RabbitMqTransport.connectionFactory(settings).newConnection("courier-test-foreign");
          Channel ch = c.createChannel()) {
        ch.basicPublish(topic, "k", props("bad-name-id", Map.of("bad\u0001name", "v")), bytes("bad name"));
        ch.basicPublish(topic, "k", props(null, Map.of("text", LongStringHelper.asLongString(
            new byte[] {(byte) 0xff, (byte) 0xfe, 'x'}))), bytes("bad value"));
        ch.basicPublish(topic, "k", props("good-id", Map.of("text", "fine")), bytes("good"));
      }
      assertEquals("good", handled.poll(30, TimeUnit.SECONDS), "the good message after two undecodable ones");
      DeadLetters dlq = courier.admin().deadLetters(topic, "g");
      Poll.await(Duration.ofSeconds(30), () -> dlq.count().orElse(0) == 2, "two dead letters");
      List<Message> dead = take(settings, Topology.queueName(topic + ".g.dlq", "courier.dlq"), 2);
      for (Message m : dead) {
        assertEquals("undecodable", m.headers().get(CourierHeaders.DLQ_REASON).orElse(null), m.headers().toString());
        assertEquals(PayloadDecodeException.class.getName(), m.headers().get(CourierHeaders.DLQ_EXCEPTION_CLASS).orElse(null));
        String brokerId = m.headers().get(CourierHeaders.BROKER_ID).orElse("");
        assertTrue(brokerId.startsWith("rabbitmq:" + topic + ":g#"), brokerId);
      }
      assertEquals("bad name", new String(dead.get(0).payload(), StandardCharsets.UTF_8));
      assertEquals("bad-name-id", dead.get(0).id(), "a usable message-id is kept");
      assertTrue(dead.get(0).headers().get(CourierHeaders.BROKER_ID).orElseThrow().endsWith("message-id=bad-name-id"));
      assertEquals("bad value", new String(dead.get(1).payload(), StandardCharsets.UTF_8));
      assertEquals(null, handled.poll(200, TimeUnit.MILLISECONDS), "the handler saw an undecodable message");
      s.close();
    } finally {
      try (Connection c = RabbitMqTransport.connectionFactory(settings).newConnection("courier-test-cleanup");
          Channel ch = c.createChannel()) {
        ch.exchangeDelete(topic);
        ch.exchangeDelete(topic + ".g.dlq");
      }
    }
  }

  /** Takes {@code n} messages from a queue with the raw client (RabbitMQ cannot peek). */
  private static List<Message> take(RabbitMqSettings settings, String queue, int n) throws Exception {
    List<Message> out = new ArrayList<>();
    try (Connection c = RabbitMqTransport.connectionFactory(settings).newConnection("courier-test-dlq");
        Channel ch = c.createChannel()) {
      for (int i = 0; i < n; i++) {
        GetResponse r = ch.basicGet(queue, true);
        assertTrue(r != null, "dead letter " + (i + 1) + " is missing");
        out.add(AmqpMessages.message(r.getProps(), r.getBody()));
      }
    }
    return out;
  }

  private static AMQP.BasicProperties props(String id, Map<String, Object> headers) {
    return new AMQP.BasicProperties.Builder().messageId(id).deliveryMode(2).headers(headers).build();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
