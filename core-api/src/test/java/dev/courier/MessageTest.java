package dev.courier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayName("Message")
class MessageTest {
  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Nested
  @DisplayName("is immutable")
  class Immutability {
    @Test
    @DisplayName("changing the array given to the builder does not change the message")
    void payloadCopiedIn() {
      byte[] original = bytes("hello");
      Message m = Message.of(original);
      original[0] = 'J';
      assertArrayEquals(bytes("hello"), m.payload());
    }

    @Test
    @DisplayName("changing the array returned by payload() does not change the message")
    void payloadCopiedOut() {
      Message m = Message.of(bytes("hello"));
      m.payload()[0] = 'J';
      assertArrayEquals(bytes("hello"), m.payload());
    }

    @Test
    @DisplayName("payloadBuffer() is read-only")
    void payloadBufferReadOnly() {
      Message m = Message.of(bytes("hello"));
      ByteBuffer buffer = m.payloadBuffer();
      assertTrue(buffer.isReadOnly());
      assertThrows(ReadOnlyBufferException.class, () -> buffer.put(0, (byte) 'J'));
      assertArrayEquals(bytes("hello"), m.payload());
    }

    @Test
    @DisplayName("a builder reused after build() does not change the built message")
    void builderReuse() {
      Message.Builder b = Message.builder().id("a").payload(bytes("one")).header("h", "1");
      Message first = b.build();
      b.id("b").payload(bytes("two")).header("h", "2").key("k");
      assertEquals("a", first.id());
      assertArrayEquals(bytes("one"), first.payload());
      assertEquals(Optional.of("1"), first.headers().get("h"));
      assertEquals(Optional.empty(), first.key());
    }

    @Test
    @DisplayName("withHeader and withKey return copies and leave the original unchanged")
    void withersCopy() {
      Message m = Message.builder().id("id-1").payload(bytes("x")).build();
      Message withHeader = m.withHeader("h", "v");
      Message withKey = m.withKey("k");
      assertTrue(m.headers().isEmpty());
      assertEquals(Optional.empty(), m.key());
      assertEquals(Optional.of("v"), withHeader.headers().get("h"));
      assertEquals(Optional.of("k"), withKey.key());
      assertEquals("id-1", withHeader.id());
      assertEquals(m.timestamp(), withKey.timestamp());
    }

    @Test
    @DisplayName("setting a header to the value it already has returns the same message")
    void sameHeaderSameMessage() {
      Message m = Message.builder().payload(bytes("x")).header("h", "v").build();
      assertSame(m, m.withHeader("h", "v"));
    }

    @Test
    @DisplayName("toBuilder().build() gives an equal message; changing the builder gives a different one")
    void toBuilderRoundTrip() {
      Message m = Message.builder().id("id-1").key("k").header("h", "v").payload(bytes("x"))
          .timestamp(Instant.parse("2026-01-01T00:00:00Z")).build();
      assertEquals(m, m.toBuilder().build());
      assertNotEquals(m, m.toBuilder().payload(bytes("y")).build());
    }
  }

  @Nested
  @DisplayName("defaults")
  class Defaults {
    @Test
    @DisplayName("a message without an id gets a generated UUID-shaped id, different for each message")
    void generatedIds() {
      Message a = Message.of(new byte[0]);
      Message b = Message.of(new byte[0]);
      assertTrue(a.id().matches("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"), a.id());
      assertNotEquals(a.id(), b.id());
    }

    @Test
    @DisplayName("a message without a timestamp gets the current time")
    void timestampNow() {
      Instant before = Instant.now();
      Message m = Message.of(new byte[0]);
      Instant after = Instant.now();
      assertFalse(m.timestamp().isBefore(before));
      assertFalse(m.timestamp().isAfter(after));
    }

    @Test
    @DisplayName("an empty payload is allowed but a missing one is refused")
    void payloadRequired() {
      assertEquals(0, Message.of(new byte[0]).payloadSize());
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> Message.builder().id("x").build());
      assertTrue(e.getMessage().contains("payload"), e.getMessage());
    }
  }

  @Nested
  @DisplayName("rejects bad arguments, naming them")
  class Validation {
    @Test
    @DisplayName("a null payload")
    void nullPayload() {
      NullPointerException e = assertThrows(NullPointerException.class, () -> Message.of(null));
      assertEquals("payload", e.getMessage());
    }

    @Test
    @DisplayName("a null, empty or blank id")
    void badIds() {
      assertEquals("id", assertThrows(NullPointerException.class, () -> Message.builder().id(null)).getMessage());
      assertTrue(assertThrows(IllegalArgumentException.class, () -> Message.builder().id(""))
          .getMessage().contains("id"));
      assertTrue(assertThrows(IllegalArgumentException.class, () -> Message.builder().id("  "))
          .getMessage().contains("id"));
    }

    @Test
    @DisplayName("an id with control characters, which would forge log lines")
    void controlCharsInId() {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> Message.builder().id("abc\nINFO forged"));
      assertTrue(e.getMessage().contains("id"), e.getMessage());
      assertFalse(e.getMessage().contains("\n"), "the message must not echo the control character");
    }

    @Test
    @DisplayName("a null or empty key, in the builder and in withKey")
    void badKeys() {
      assertEquals("key", assertThrows(NullPointerException.class, () -> Message.builder().key(null)).getMessage());
      assertTrue(assertThrows(IllegalArgumentException.class, () -> Message.builder().key(""))
          .getMessage().contains("key"));
      Message m = Message.of(new byte[0]);
      assertEquals("key", assertThrows(NullPointerException.class, () -> m.withKey(null)).getMessage());
      assertThrows(IllegalArgumentException.class, () -> m.withKey(""));
    }

    @Test
    @DisplayName("a key with control characters, in the builder and in withKey, which would forge log lines")
    void controlCharsInKey() {
      String forged = "k\n[main] INFO FORGED";
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Message.builder().key(forged));
      assertTrue(e.getMessage().contains("key"), e.getMessage());
      assertFalse(e.getMessage().chars().anyMatch(Character::isISOControl), "the error must not echo it: " + e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> Message.of(new byte[0]).withKey("tab\there"));
      assertThrows(IllegalArgumentException.class, () -> Message.builder().key("c1\u0085"));
    }

    @Test
    @DisplayName("null headers, timestamp, codec or value")
    void otherNulls() {
      assertEquals("headers", assertThrows(NullPointerException.class, () -> Message.builder().headers(null)).getMessage());
      assertEquals("timestamp", assertThrows(NullPointerException.class, () -> Message.builder().timestamp(null)).getMessage());
      assertEquals("codec", assertThrows(NullPointerException.class,
          () -> Message.builder().payload("x", null)).getMessage());
      assertEquals("value", assertThrows(NullPointerException.class,
          () -> Message.builder().payload(null, Codecs.utf8())).getMessage());
      Message m = Message.of(new byte[0]);
      assertEquals("codec", assertThrows(NullPointerException.class, () -> m.payload((Codec<String>) null)).getMessage());
      assertEquals("headers", assertThrows(NullPointerException.class, () -> m.withHeaders(null)).getMessage());
    }

    @Test
    @DisplayName("an invalid header name, in the builder and in withHeader")
    void badHeaderNames() {
      assertThrows(IllegalArgumentException.class, () -> Message.builder().header("", "v"));
      assertThrows(IllegalArgumentException.class, () -> Message.builder().header("a\u0000b", "v"));
      assertThrows(NullPointerException.class, () -> Message.of(new byte[0]).withHeader(null, "v"));
      assertThrows(NullPointerException.class, () -> Message.of(new byte[0]).withHeader("h", null));
    }
  }

  @Nested
  @DisplayName("builder headers")
  class BuilderHeaders {
    @Test
    @DisplayName("adding 100,000 headers one by one takes linear time, not a copy of the map per header")
    void manyHeadersOneByOne() {
      Message m = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
        Message.Builder b = Message.builder().payload(new byte[0]);
        for (int i = 0; i < 100_000; i++) {
          b.header("h" + i, "v" + i);
        }
        return b.build();
      });
      assertEquals(100_000, m.headers().size());
      assertEquals(Optional.of("v99999"), m.headers().get("h99999"));
      assertEquals("h0", m.headers().names().iterator().next(), "insertion order is kept");
    }

    @Test
    @DisplayName("a header set twice keeps its first position and its last value; headers() merges the same way")
    void replacesInPlace() {
      Message m = Message.builder().header("a", "1").header("b", "2").header("a", "3")
          .headers(Headers.of("b", "4")).payload(new byte[0]).build();
      assertEquals(List.of("a", "b"), List.copyOf(m.headers().names()));
      assertEquals(Optional.of("3"), m.headers().get("a"));
      assertEquals(Optional.of("4"), m.headers().get("b"));
    }

    @Test
    @DisplayName("a builder from toBuilder() adds headers without changing the original message")
    void toBuilderHeaders() {
      Message original = Message.builder().header("a", "1").payload(new byte[0]).build();
      Message changed = original.toBuilder().header("b", "2").build();
      assertEquals(1, original.headers().size());
      assertEquals(2, changed.headers().size());
    }
  }

  @Nested
  @DisplayName("toString")
  class ToString {
    @Test
    @DisplayName("shows id, key, header names and payload size, never the payload or header values")
    void noPayloadNoHeaderValues() {
      Message m = Message.builder().id("order-7").key("customer-3")
          .header("authorization", "Bearer s3cr3t-t0ken")
          .payload(bytes("card=4111111111111111")).build();
      String s = m.toString();
      assertTrue(s.contains("order-7"), s);
      assertTrue(s.contains("customer-3"), s);
      assertTrue(s.contains("authorization"), s);
      assertTrue(s.contains("payloadBytes=21"), s);
      assertFalse(s.contains("s3cr3t"), s);
      assertFalse(s.contains("4111"), s);
    }
  }

  @Nested
  @DisplayName("payload(codec)")
  class Decoding {
    @Test
    @DisplayName("decodes with the codec; the codec's content type is set when encoding")
    void roundTrip() {
      Message m = Message.builder().payload("héllo", Codecs.utf8()).build();
      assertEquals("héllo", m.payload(Codecs.utf8()));
      assertEquals(Optional.of("text/plain; charset=utf-8"), m.headers().get(Codec.CONTENT_TYPE));
    }

    @Test
    @DisplayName("wraps a codec's runtime failure in a PayloadDecodeException naming the message, not the payload")
    void wrapsFailure() {
      Codec<String> failing = new Codec<>() {
        @Override
        public String contentType() {
          return "x/fail";
        }

        @Override
        public byte[] encode(String value) {
          return new byte[0];
        }

        @Override
        public String decode(byte[] payload, Headers headers) {
          throw new IllegalStateException("boom");
        }
      };
      Message m = Message.builder().id("m-1").payload(bytes("secret-payload")).build();
      PayloadDecodeException e = assertThrows(PayloadDecodeException.class, () -> m.payload(failing));
      assertTrue(e.getMessage().contains("m-1"), e.getMessage());
      assertFalse(e.getMessage().contains("secret-payload"), e.getMessage());
      assertEquals("boom", e.getCause().getMessage());
    }

    @Test
    @DisplayName("a codec cannot change the message's payload through the array it is given")
    void codecGetsCopy() {
      Codec<byte[]> vandal = new Codec<>() {
        @Override
        public String contentType() {
          return "x/vandal";
        }

        @Override
        public byte[] encode(byte[] value) {
          return value;
        }

        @Override
        public byte[] decode(byte[] payload, Headers headers) {
          payload[0] = 'X';
          return payload;
        }
      };
      Message m = Message.of(bytes("abc"));
      m.payload(vandal);
      assertArrayEquals(bytes("abc"), m.payload());
    }
  }
}
