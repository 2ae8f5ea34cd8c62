package dev.courier.pubsub.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.pubsub.v1.PubsubMessage;
import dev.courier.Message;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Pub/Sub message mapping")
class PubSubMessagesTest {
  private static final Instant T = Instant.ofEpochMilli(1_700_000_000_123L);

  @Test
  @DisplayName("headers that fit travel as attributes, the key as ordering key, the payload alone as data")
  void plainMessage() {
    Message m = Message.builder().id("id-1").key("k").header("a", "b").payload(new byte[] {1, 2, 3}).timestamp(T).build();
    PubsubMessage pm = PubSubMessages.toPubSub(m);
    assertEquals("k", pm.getOrderingKey());
    assertEquals("b", pm.getAttributesOrThrow("a"));
    assertFalse(pm.containsAttributes(PubSubMessages.PACKED));
    assertArrayEquals(new byte[] {1, 2, 3}, pm.getData().toByteArray());
    assertEquals(m, PubSubMessages.fromPubSub(pm));
  }

  @Test
  @DisplayName("headers beyond the attribute limits are packed before the payload, and unpacked unchanged")
  void packedBothWays() {
    Message.Builder b = Message.builder().id("id-2").payload("payload".getBytes(StandardCharsets.UTF_8)).timestamp(T);
    for (int i = 0; i < 120; i++) {
      b.header("h" + i, "v" + i);
    }
    String longName = "n".repeat(300);
    String longValue = "é".repeat(600); // 1,200 bytes
    b.header(longName, "x").header("big", longValue).header("googthing", "g");
    Message m = b.build();
    PubsubMessage pm = PubSubMessages.toPubSub(m);
    assertTrue(pm.getAttributesCount() <= PubSubMessages.MAX_ATTRIBUTES, "at most 100 attributes");
    pm.getAttributesMap().forEach((k, v) -> {
      assertTrue(k.getBytes(StandardCharsets.UTF_8).length <= PubSubMessages.MAX_NAME_BYTES, "name " + k);
      assertTrue(v.getBytes(StandardCharsets.UTF_8).length <= PubSubMessages.MAX_VALUE_BYTES, "value of " + k);
      assertFalse(k.startsWith("goog"), k);
    });
    assertTrue(pm.containsAttributes(PubSubMessages.PACKED));
    Message back = PubSubMessages.fromPubSub(pm);
    assertEquals(m.headers(), back.headers());
    assertArrayEquals(m.payload(), back.payload());
    assertEquals(m, back);
  }

  @Test
  @DisplayName("a key Pub/Sub cannot order by (over 1,024 bytes) and a long id still arrive")
  void longKeyAndId() {
    Message m = Message.builder().id("i".repeat(2000)).key("k".repeat(1500)).payload(new byte[0]).timestamp(T).build();
    PubsubMessage pm = PubSubMessages.toPubSub(m);
    assertEquals("", pm.getOrderingKey());
    Message back = PubSubMessages.fromPubSub(pm);
    assertEquals(m.id(), back.id());
    assertEquals(m.key(), back.key());
  }

  @Test
  @DisplayName("a foreign producer's message gets Pub/Sub's id and publish time, and its attributes as headers")
  void foreignMessage() {
    PubsubMessage pm = PubsubMessage.newBuilder().setMessageId("42").putAttributes("x", "y")
        .setPublishTime(com.google.protobuf.Timestamp.newBuilder().setSeconds(1_700_000_000L))
        .setData(ByteString.copyFromUtf8("hi")).build();
    Message m = PubSubMessages.fromPubSub(pm);
    assertEquals("42", m.id());
    assertEquals(Instant.ofEpochSecond(1_700_000_000L), m.timestamp());
    assertEquals(Map.of("x", "y"), m.headers().asMap());
    assertEquals(Optional.empty(), m.key());
  }

  @Test
  @DisplayName("a corrupt packed frame is refused, not half-read")
  void corruptFrame() {
    PubsubMessage pm = PubsubMessage.newBuilder().setMessageId("7").putAttributes(PubSubMessages.PACKED, "12")
        .setData(ByteString.copyFrom(new byte[] {0, 0, 0, 5, 0, 0, 0, 99, 1, 2, 3, 4})).build();
    assertThrows(IllegalArgumentException.class, () -> PubSubMessages.fromPubSub(pm));
  }
}
