package dev.courier.tck;

import dev.courier.Headers;
import dev.courier.Message;
import dev.courier.tck.internal.Recorder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** TCK-1 round trip: the rules of {@link CourierTck.RoundTrip}. */
abstract class RoundTripRules extends RuleGroup {
  RoundTripRules(TckSupport tck) {
    super(tck);
  }

  private Message roundTrip(Message sent) {
    String topic = name("rt");
    Recorder r = recorder();
    subscribe(courier(), options(topic, name("g")).build(), r.handler());
    publish(courier(), topic, List.of(sent));
    check(r.awaitCompletedIds(1, patience()), "the published message did not arrive within " + patience(),
        "that receive() delivers messages published after the subscription started");
    return r.completed().get(0).delivery().message();
  }

  private void checkSame(Message sent, Message got) {
    check(sent.id().equals(got.id()), "the id changed from '" + sent.id() + "' to '" + got.id() + "'",
        "that the adapter carries Message.id() through the broker");
    check(sent.key().equals(got.key()), "the key changed from " + sent.key() + " to " + got.key(),
        "that the adapter carries Message.key() through the broker (and no key stays no key)");
    check(java.util.Arrays.equals(sent.payload(), got.payload()),
        "the payload changed: sent " + sent.payloadSize() + " bytes, received " + got.payloadSize()
            + (sent.payloadSize() == got.payloadSize() ? " with different content" : ""),
        "that payload bytes pass unencoded and untruncated (no String conversion of binary data)");
    Headers received = applicationHeaders(got.headers());
    check(received.equals(sent.headers()),
        "the headers changed: sent " + sent.headers().size() + " " + sent.headers().names() + ", received "
            + received.size() + " " + received.names()
            + (received.names().equals(sent.headers().names()) ? " with different values" : ""),
        "that every header name and value (UTF-8) is mapped to a native header and back");
  }

  @Test
  @DisplayName("TCK-1.1 an empty payload arrives unchanged, with its id, key and headers")
  void emptyPayload() {
    Message sent = Message.builder().id("tck-" + name("id")).key("k-1").header("h1", "v1")
        .payload(new byte[0]).build();
    checkSame(sent, roundTrip(sent));
  }

  @Test
  @DisplayName("TCK-1.2 a binary payload with every byte value arrives unchanged")
  void binaryPayload() {
    byte[] bytes = new byte[512];
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = (byte) i;
    }
    Message sent = Message.builder().payload(bytes).build();
    checkSame(sent, roundTrip(sent));
  }

  @Test
  @DisplayName("TCK-1.3 a payload one byte below the adapter's maximum arrives unchanged")
  void largestPayload() {
    byte[] bytes = new byte[limits().maxPayloadBytes() - 1];
    ThreadLocalRandom.current().nextBytes(bytes);
    Message sent = Message.builder().key("big").payload(bytes).build();
    checkSame(sent, roundTrip(sent));
  }

  @Test
  @DisplayName("TCK-1.4 many headers with unicode names and values arrive unchanged")
  void manyUnicodeHeaders() {
    int budget = Math.max(1, limits().maxHeaderBytes() / 2 / 48);
    int count = Math.max(1, Math.min(Math.min(40, limits().maxHeaders() - 8), budget));
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      headers.put("tck-h" + i + (i % 3 == 0 ? "-ü" : ""), "välue " + i + " ✓ 日本 \uD83D\uDE80 \"q\"");
    }
    Message sent = Message.builder().key("ключ-☃").headers(Headers.of(headers))
        .payload("x".getBytes(StandardCharsets.UTF_8)).build();
    checkSame(sent, roundTrip(sent));
  }
}
