package dev.courier.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.Capabilities;
import dev.courier.CourierHeaders;
import dev.courier.DeadLetterPolicy;
import dev.courier.Headers;
import dev.courier.Message;
import dev.courier.MessageLimits;
import dev.courier.PublishException;
import dev.courier.testsupport.CoreTestTransport;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A dead-letter copy")
class DeadLetterCopyTest {
  private static final String TOPIC = "t".repeat(255);
  private static final String GROUP = "g".repeat(255);
  private static final Throwable LONG_FAILURE = new IllegalStateException("ü✓\uD83D\uDE80 broken ".repeat(3_000));

  /** Headers at {@code limits}: its count, and exactly its header bytes. */
  static Headers atLimits(MessageLimits limits) {
    Map<String, String> h = new LinkedHashMap<>();
    int count = limits.maxHeaders();
    int values = limits.maxHeaderBytes() - count * "app-000".length();
    for (int i = 0; i < count; i++) {
      h.put(String.format("app-%03d", i), "v".repeat(values / count + (i < values % count ? 1 : 0)));
    }
    Headers headers = Headers.of(h);
    assertEquals(limits.maxHeaderBytes(), headers.encodedSize());
    return headers;
  }

  private static DeadLetterSender sender(CoreTestTransport transport) {
    return new DeadLetterSender(transport, TOPIC, GROUP, TOPIC + ".dlq", DeadLetterPolicy.defaults(), Duration.ofSeconds(5));
  }

  private static Message worstCase(Capabilities caps, int payload) {
    // At the applications' limits, then redriven once: it carries courier-redrive-count too.
    Headers headers = atLimits(caps.limits()).with(CourierHeaders.REDRIVE_COUNT, Integer.toString(Integer.MAX_VALUE));
    return Message.builder().headers(headers).payload(new byte[payload]).build();
  }

  private static Message copy(DeadLetterSender sender, Message original) {
    return sender.deadLetterCopy(original, Integer.MAX_VALUE, Instant.MIN, Instant.MAX, LONG_FAILURE,
        DeadLetterSender.Reason.NON_RETRYABLE);
  }

  @Test
  @DisplayName("of a message at the applications' limits fits the broker's limits (64 headers, 16 KiB by default)")
  void fitsBrokerLimits() {
    Capabilities caps = Capabilities.builder().build();
    Message original = worstCase(caps, 10);
    Message dead = copy(sender(CoreTestTransport.declaring(caps)), original);
    assertNull(MessageValidator.violation(dead, caps.brokerLimits()));
    assertEquals(64, dead.headers().size());
    String text = dead.headers().get(CourierHeaders.DLQ_EXCEPTION_MESSAGE).orElseThrow();
    assertTrue(text.startsWith("ü✓\uD83D\uDE80 broken") && text.endsWith("…"), text);
    assertEquals(text, new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8), "no split character");
    assertTrue(text.getBytes(StandardCharsets.UTF_8).length > 900, "the reservation leaves room for the message");
  }

  @Test
  @DisplayName("keeps each value within a per-value limit and the whole within a total limit")
  void valueAndTotal() {
    Capabilities caps = Capabilities.builder().maxPayloadBytes(100_000).maxHeaderValueBytes(1024)
        .maxMessageBytes(100_000 + 4096).build();
    Message original = worstCase(caps, caps.maxMessageBytes() - caps.maxHeaderBytes());
    assertNull(MessageValidator.violation(original.withHeaders(atLimits(caps.limits())), caps.limits()));
    Message dead = copy(sender(CoreTestTransport.declaring(caps)), original);
    assertNull(MessageValidator.violation(dead, caps.brokerLimits()));
    assertTrue(dead.headers().get(CourierHeaders.DLQ_EXCEPTION_MESSAGE).orElseThrow().endsWith("…"));
  }

  @Test
  @DisplayName("that would exceed the broker's limits is not sent: the send fails naming the limit")
  void tooLargeNotSent() {
    Capabilities caps = Capabilities.builder().build();
    CoreTestTransport transport = CoreTestTransport.declaring(caps);
    Message foreign = Message.builder().headers(atLimits(caps.brokerLimits())).payload(new byte[1]).build();
    PublishException e = assertThrows(PublishException.class, () -> sender(transport).send(foreign, 1,
        Instant.now(), Instant.now(), LONG_FAILURE, DeadLetterSender.Reason.EXHAUSTED));
    assertTrue(e.getMessage().contains("(at most 64)"), e.getMessage());
    assertEquals(0, transport.sent());
  }
}
