package dev.courier.rabbitmq.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import dev.courier.Message;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("AMQP mapping: application headers cannot pose as the adapter's own")
class AmqpMessagesTest {
  /** As the properties come out of the wire: AMQP carries the timestamp in whole seconds. */
  private static AMQP.BasicProperties wire(AMQP.BasicProperties p) {
    return p.getTimestamp() == null ? p : p.builder().timestamp(new Date(p.getTimestamp().getTime() / 1000 * 1000)).build();
  }

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

  @Test
  @DisplayName("a plain message whose timestamp its UUIDv7 id implies travels without a headers table and keeps its milliseconds")
  void plainMessageHasNoHeadersTable() {
    Message sent = Message.builder().id("018bcfe5-6a5b-7abc-8def-0123456789ab")
        .timestamp(Instant.ofEpochMilli(0x018bcfe56a5bL)).payload(new byte[] {1}).build();
    AMQP.BasicProperties props = wire(AmqpMessages.properties(sent, 0));
    assertNull(props.getHeaders(), "headers the broker would decode for every message");
    Message got = AmqpMessages.message(props, new byte[] {1});
    assertEquals(sent.timestamp(), got.timestamp());
    assertEquals(sent.id(), got.id());
    Message made = Message.of(new byte[] {2}); // Courier's own ids and timestamps agree (but for a tick)
    assertEquals(made.timestamp().toEpochMilli(), AmqpMessages.message(wire(AmqpMessages.properties(made, 0)),
        new byte[] {2}).timestamp().toEpochMilli());
  }

  @Test
  @DisplayName("a timestamp the id does not imply, a key or a sequence number bring the headers table back")
  void otherwiseTheTimestampHeaderTravels() {
    String id = "018bcfe5-6a5b-7abc-8def-0123456789ab";
    Instant other = Instant.ofEpochMilli(0x018bcfe56a5bL + 1);
    Message sent = Message.builder().id(id).timestamp(other).payload(new byte[] {1}).build();
    AMQP.BasicProperties props = AmqpMessages.properties(sent, 0);
    assertEquals(other.toEpochMilli(), props.getHeaders().get(AmqpMessages.TIMESTAMP));
    assertEquals(other, AmqpMessages.message(props, new byte[] {1}).timestamp());
    Message keyed = Message.builder().id(id).key("k").timestamp(Instant.ofEpochMilli(0x018bcfe56a5bL))
        .payload(new byte[] {1}).build();
    assertEquals("k", AmqpMessages.message(AmqpMessages.properties(keyed, 0), new byte[] {1}).key().orElseThrow());
    assertNotNull(AmqpMessages.properties(Message.builder().id(id).timestamp(Instant.ofEpochMilli(0x018bcfe56a5bL))
        .payload(new byte[] {1}).build(), 5).getHeaders().get(AmqpMessages.SEQ));
  }

  @Test
  @DisplayName("a foreign message keeps its seconds timestamp even with a UUIDv7 id of that second")
  void foreignTimestampInSeconds() {
    long idMillis = 0x018bcfe56a5bL;
    AMQP.BasicProperties foreign = new AMQP.BasicProperties.Builder()
        .messageId("018bcfe5-6a5b-7abc-8def-0123456789ab").timestamp(new Date(idMillis / 1000 * 1000)).build();
    assertEquals(Instant.ofEpochMilli(idMillis / 1000 * 1000), AmqpMessages.message(foreign, new byte[0]).timestamp());
    AMQP.BasicProperties otherSecond = foreign.builder().timestamp(new Date(idMillis / 1000 * 1000 + 5000)).build();
    assertEquals(Instant.ofEpochMilli(idMillis / 1000 * 1000 + 5000),
        AmqpMessages.message(otherSecond, new byte[0]).timestamp());
  }

  @Test
  @DisplayName("a timestamp just before 1970 with an id that is no UUIDv7 keeps its milliseconds")
  void preEpochTimestamp() {
    for (long millis : new long[] {-1, -1000, -1_500}) {
      Message sent = Message.builder().id("m-1").timestamp(Instant.ofEpochMilli(millis)).payload(new byte[] {1})
          .build();
      assertEquals(sent.timestamp(), AmqpMessages.message(wire(AmqpMessages.properties(sent, 0)), new byte[] {1})
          .timestamp());
    }
  }

  @Test
  @DisplayName("user ids, keys and headers, redelivered and dead-lettered copies of a plain message: id, key,"
      + " headers, timestamp and delivery count come through as sent")
  void everythingComesThrough() {
    Instant ts = Instant.ofEpochMilli(1_700_000_000_123L);
    Message user = Message.builder().id("order-17").key("customer-9").header("trace", "t-1").timestamp(ts)
        .payload(new byte[] {1}).build();
    Message got = AmqpMessages.message(wire(AmqpMessages.properties(user, 0)), new byte[] {1});
    assertEquals("order-17", got.id());
    assertEquals(Optional.of("customer-9"), got.key());
    assertEquals(user.headers(), got.headers());
    assertEquals(ts, got.timestamp());
    Message plain = Message.of(new byte[] {2});
    AMQP.BasicProperties sent = wire(AmqpMessages.properties(plain, 0));
    assertNull(sent.getHeaders());
    AMQP.BasicProperties copy = AmqpMessages.forDelay(sent, 2, 9, 1000L); // a delayed redelivery
    Message redelivered = AmqpMessages.message(copy, new byte[] {2});
    assertEquals(plain.id(), redelivered.id());
    assertEquals(plain.timestamp().toEpochMilli(), redelivered.timestamp().toEpochMilli());
    assertEquals(Optional.empty(), redelivered.key());
    assertTrue(redelivered.headers().isEmpty(), redelivered.headers().toString());
    assertEquals(3, AmqpMessages.deliveryCount(copy, false));
    AMQP.BasicProperties deadLettered = sent.builder() // as the broker hands back an expired or requeued copy
        .headers(Map.of("x-death", List.of(Map.of("reason", "expired")), AmqpMessages.DELIVERY_COUNT, 1)).build();
    Message back = AmqpMessages.message(deadLettered, new byte[] {2});
    assertEquals(plain.timestamp().toEpochMilli(), back.timestamp().toEpochMilli());
    assertTrue(back.headers().isEmpty(), back.headers().toString());
    assertEquals(2, AmqpMessages.deliveryCount(deadLettered, true));
  }
}
