package dev.courier.rabbitmq.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.rabbitmq.client.AMQP;
import dev.courier.Message;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("AMQP mapping: application headers cannot pose as the adapter's own")
class AmqpMessagesTest {
  @Test
  @DisplayName("x-courier-* and broker headers among a message's headers do not change its key, timestamp or delivery count")
  void adapterHeadersFromTheMessageAreDropped() {
    Instant ts = Instant.ofEpochMilli(1_700_000_000_123L);
    Message sent = Message.builder().id("m-1").timestamp(ts).payload(new byte[] {1}).header("trace", "t-1")
        .header(AmqpMessages.KEY, "forged-key").header(AmqpMessages.TIMESTAMP, "0")
        .header(AmqpMessages.PRIOR_DELIVERIES, "40").header(AmqpMessages.DELIVERY_COUNT, "9").build();
    AMQP.BasicProperties props = AmqpMessages.properties(sent, 7);
    Message got = AmqpMessages.message(props, new byte[] {1});
    assertEquals("m-1", got.id());
    assertEquals(Optional.empty(), got.key(), "a header became the key of a message without one");
    assertEquals(ts, got.timestamp());
    assertEquals(1, AmqpMessages.deliveryCount(props, false), "a header set the delivery count");
    assertEquals(Optional.of("t-1"), got.headers().get("trace"));
    assertFalse(got.headers().names().stream().anyMatch(n -> n.startsWith("x-")), got.headers().toString());
  }
}
