package dev.courier.inmemory.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.CourierHeaders;
import dev.courier.DeadLetters;
import dev.courier.Headers;
import dev.courier.Message;
import dev.courier.MessageLimits;
import dev.courier.PublishException;
import dev.courier.RetryPolicy;
import dev.courier.Subscription;
import dev.courier.tck.internal.AtLimits;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Dead letters and redrives within the broker's limits")
class DeadLetterLimitsTest extends ReliabilityFixture {
  /** The in-memory adapter's declared broker limits. */
  private static final int BROKER_HEADERS = 64;
  private static final int BROKER_HEADER_BYTES = 16 * 1024;

  @org.junit.jupiter.api.BeforeEach
  void brokerLimitsAreTheDeclaredOnes() {
    assertEquals(BROKER_HEADERS, courier.capabilities().brokerLimits().maxHeaders());
    assertEquals(BROKER_HEADER_BYTES, courier.capabilities().brokerLimits().maxHeaderBytes());
  }

  /** {@code count} headers holding exactly {@code bytes} bytes of names and values. */
  static Headers atLimit(int count, int bytes) {
    Headers headers = AtLimits.headers(new MessageLimits(1, count, bytes, bytes, bytes), bytes);
    assertEquals(count, headers.size());
    assertEquals(bytes, headers.encodedSize());
    return headers;
  }

  private void enforceBrokerLimits(List<String> refused) {
    transport.refuse = (t, m) -> {
      if (m.headers().size() > BROKER_HEADERS || m.headers().encodedSize() > BROKER_HEADER_BYTES) {
        refused.add(t + ": " + m.headers().size() + " headers, " + m.headers().encodedSize() + " bytes");
        return true;
      }
      return false;
    };
  }

  @Test
  @DisplayName("a message at the declared limits is dead-lettered and redriven intact by a broker that enforces its own")
  void atDeclaredLimits() throws Exception {
    List<String> refused = new CopyOnWriteArrayList<>();
    enforceBrokerLimits(refused);
    Headers app = atLimit(courier.capabilities().maxHeaders(), courier.capabilities().maxHeaderBytes());
    Message original = Message.builder().headers(app).payload("order".getBytes(StandardCharsets.UTF_8)).build();
    AtomicBoolean broken = new AtomicBoolean(true);
    List<Message> handled = new CopyOnWriteArrayList<>();
    RetryPolicy once = fastRetry().maxInProcessAttempts(1).maxDeliveries(1).build();
    try (Subscription s = courier.subscribe(options(once).build(), d -> {
      if (broken.get()) {
        throw new IllegalStateException("ünicode failure ".repeat(2_000));
      }
      handled.add(d.message());
    })) {
      publish(original);
      DeadLetters dlq = courier.admin().deadLetters(topic, group);
      await(() -> dlq.count().orElse(0) == 1 || !refused.isEmpty(), "the dead letter is published or refused");
      assertEquals(List.of(), refused, "sends the broker refused");
      Message dead = dlq.peek(1).get(0);
      assertTrue(dead.headers().size() <= BROKER_HEADERS, dead.headers().size() + " headers");
      assertTrue(dead.headers().encodedSize() <= BROKER_HEADER_BYTES, dead.headers().encodedSize() + " bytes");
      assertTrue(dead.headers().get(CourierHeaders.DLQ_EXCEPTION_MESSAGE).orElseThrow().startsWith("ünicode failure"));
      broken.set(false);
      assertEquals(1, dlq.redrive());
      await(() -> handled.size() == 1, "the redriven message is handled");
      Message again = handled.get(0);
      assertEquals(original.id(), again.id());
      assertEquals(app, again.headers().without(CourierHeaders.REDRIVE_COUNT), "application headers intact");
      assertEquals("1", again.headers().get(CourierHeaders.REDRIVE_COUNT).orElseThrow());
      assertEquals(List.of(), refused, "sends the broker refused");
    }
  }

  @Test
  @DisplayName("a received message whose dead letter would exceed the broker's limits is redelivered with backoff, never acked or sent")
  void deadLetterTooLarge() throws Exception {
    Headers foreign = atLimit(BROKER_HEADERS, BROKER_HEADER_BYTES - 100);
    // Sent by another producer straight to the broker: Courier never validated it.
    transport.delegate.send(topic, Message.builder().headers(foreign).payload(new byte[] {1}).build())
        .get(5, TimeUnit.SECONDS);
    RetryPolicy once = fastRetry().maxInProcessAttempts(1).maxDeliveries(1).build();
    try (Subscription s = courier.subscribe(options(once).build(), d -> {
      throw new IllegalStateException("always");
    })) {
      await(() -> events.count("redelivered") >= 3, "the message returns, repeatedly");
      assertTrue(events.events.stream().filter(e -> e.startsWith("redelivered"))
          .allMatch(e -> e.endsWith(PublishException.class.getSimpleName())), events.events.toString());
      assertEquals(0, events.count("deadLettered"), events.events.toString());
      assertEquals(java.util.OptionalLong.of(0), courier.admin().deadLetters(topic, group).count(),
          "nothing was sent to the dead-letter topic");
      assertEquals(java.util.OptionalLong.of(1), transport.backlog(topic, group), "the original is still on the source topic");
    }
  }
}
