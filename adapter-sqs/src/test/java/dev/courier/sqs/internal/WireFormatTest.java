package dev.courier.sqs.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.Message;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;

@DisplayName("WireFormat maps messages to SQS bodies and attributes, both ways")
class WireFormatTest {
  private static Message roundTrip(Message m, WireFormat.Meta meta) {
    WireFormat.Outgoing out = WireFormat.encode(m, meta);
    WireFormat.Incoming in = WireFormat.decode("q", "sqs-id", out.body(), out.attributes(), 0);
    assertNull(in.undecodable(), () -> "undecodable: " + in.undecodable());
    assertEquals(meta, in.meta());
    return in.message();
  }

  @Test
  @DisplayName("beyond 10 headers, the rest are packed into one binary attribute; traceparent and tracestate stay native")
  void packsBeyondTen() {
    Message.Builder b = Message.builder().id("m-1").key("k").payload("{\"a\":1}".getBytes(StandardCharsets.UTF_8));
    for (int i = 0; i < 15; i++) {
      b.header("h" + i, "v" + i);
    }
    b.header("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01").header("tracestate", "a=b");
    b.header("ünïcödé näme", "välue").header("empty", "").header("spaced", " padded ");
    Message m = b.build();
    WireFormat.Outgoing out = WireFormat.encode(m, WireFormat.Meta.NONE);
    assertEquals(10, out.attributes().size(), "SQS takes 10 attributes at most");
    assertTrue(out.attributes().containsKey("traceparent") && out.attributes().containsKey("tracestate"),
        "trace context must stay native: " + out.attributes().keySet());
    assertTrue(out.attributes().containsKey(WireFormat.ATTRIBUTE));
    assertEquals("{\"a\":1}", out.body(), "a text payload travels as the body itself");
    Message back = roundTrip(m, WireFormat.Meta.NONE);
    assertEquals(m.headers(), back.headers());
    assertEquals(m.id(), back.id());
    assertEquals(m.key(), back.key());
    assertEquals(m.timestamp(), back.timestamp());
  }

  @Test
  @DisplayName("a payload that is not SQS text travels as Base64 and comes back byte for byte; an empty one too")
  void binaryAndEmptyPayloads() {
    byte[] all = new byte[256];
    for (int i = 0; i < all.length; i++) {
      all[i] = (byte) i;
    }
    Message binary = Message.builder().payload(all).build();
    assertArrayEquals(all, roundTrip(binary, WireFormat.Meta.NONE).payload());
    Message empty = Message.builder().payload(new byte[0]).build();
    assertArrayEquals(new byte[0], roundTrip(empty, new WireFormat.Meta(3, 1234L)).payload());
    Message carriageReturn = Message.builder().payload("a\r\nb".getBytes(StandardCharsets.UTF_8)).build();
    assertArrayEquals(carriageReturn.payload(), roundTrip(carriageReturn, WireFormat.Meta.NONE).payload());
  }

  @Test
  @DisplayName("the wire size counts body and attributes, so a message at the declared limits fits the queue")
  void sizeIsCounted() {
    Message m = Message.builder().payload(new byte[3000]).header("a", "b").build();
    WireFormat.Outgoing out = WireFormat.encode(m, WireFormat.Meta.NONE);
    assertTrue(out.bytes() >= 4000, "Base64 of 3000 bytes is 4000 characters: " + out.bytes());
  }

  @Test
  @DisplayName("another producer's message maps with the SQS id, the body and its attributes; a binary attribute makes it undecodable")
  void foreignMessages() {
    Map<String, MessageAttributeValue> attrs = new LinkedHashMap<>();
    attrs.put("type", MessageAttributeValue.builder().dataType("String").stringValue("order").build());
    attrs.put("n", MessageAttributeValue.builder().dataType("Number").stringValue("42").build());
    WireFormat.Incoming in = WireFormat.decode("q", "abc", "hello", attrs, 1_700_000_000_000L);
    assertNull(in.undecodable());
    assertEquals("abc", in.message().id());
    assertEquals("order", in.message().headers().get("type").orElseThrow());
    assertEquals(Instant.ofEpochMilli(1_700_000_000_000L), in.message().timestamp());

    attrs.put("blob", MessageAttributeValue.builder().dataType("Binary").binaryValue(SdkBytes.fromUtf8String("x")).build());
    WireFormat.Incoming bad = WireFormat.decode("q", "abc", "hello", attrs, 0);
    assertNotNull(bad.undecodable());
    assertEquals("sqs:q#abc", bad.undecodable().brokerId());
    assertArrayEquals("hello".getBytes(StandardCharsets.UTF_8), bad.message().payload());
  }

  @Test
  @DisplayName("a truncated courier attribute makes the message undecodable instead of failing the poller")
  void truncatedAttribute() {
    Map<String, MessageAttributeValue> attrs = Map.of(WireFormat.ATTRIBUTE, MessageAttributeValue.builder()
        .dataType("Binary").binaryValue(SdkBytes.fromByteArray(new byte[] {1, 0, 0, 0, 0, 9})).build());
    assertNotNull(WireFormat.decode("q", "abc", "x", attrs, 0).undecodable());
  }
}
