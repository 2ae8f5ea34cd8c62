package dev.courier.inmemory.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.Codecs;
import dev.courier.CourierHeaders;
import dev.courier.DeadLetterPolicy;
import dev.courier.DeadLetters;
import dev.courier.Headers;
import dev.courier.Idempotency;
import dev.courier.Message;
import dev.courier.PublishException;
import dev.courier.RetryPolicy;
import dev.courier.Subscription;
import dev.courier.idempotency.InMemoryIdempotencyStore;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Dead-lettering on the in-memory adapter")
class DeadLetterEndToEndTest extends ReliabilityFixture {
  /** A payload this codec cannot decode. */
  public record Order(String id, int amount) {}

  private Message onlyDeadLetter() throws InterruptedException {
    DeadLetters dlq = courier.admin().deadLetters(topic, group);
    await(() -> dlq.count().getAsLong() == 1, "one dead letter arrives");
    List<Message> peeked = dlq.peek(10);
    assertEquals(1, peeked.size());
    return peeked.get(0);
  }

  @Test
  @DisplayName("dead-letters after the last attempt with the failure headers, keeping id, key, headers and payload")
  void exhausted() throws Exception {
    RetryPolicy policy = fastRetry().maxInProcessAttempts(2).maxDeliveries(2).build();
    DeadLetterPolicy dl = DeadLetterPolicy.defaults().withMaxErrorMessageLength(12);
    Message original = Message.builder().id("order-42").key("customer-7").header("tenant", "acme")
        .payload("pay me".getBytes(StandardCharsets.UTF_8)).build();
    Instant before = Instant.now();
    try (Subscription s = courier.subscribe(options(policy).deadLetter(dl).build(), d -> {
      throw new IllegalStateException("the ledger\nis locked for a long while");
    })) {
      publish(original);
      Message dead = onlyDeadLetter();
      assertEquals("order-42", dead.id());
      assertEquals("customer-7", dead.key().orElseThrow());
      assertEquals("pay me", new String(dead.payload(), StandardCharsets.UTF_8));
      assertEquals(original.timestamp(), dead.timestamp());
      Headers h = dead.headers();
      assertEquals("acme", h.get("tenant").orElseThrow());
      assertEquals(topic, h.get(CourierHeaders.DLQ_SOURCE_TOPIC).orElseThrow());
      assertEquals(group, h.get(CourierHeaders.DLQ_GROUP).orElseThrow());
      assertEquals("4", h.get(CourierHeaders.DLQ_ATTEMPTS).orElseThrow());
      assertEquals("exhausted", h.get(CourierHeaders.DLQ_REASON).orElseThrow());
      assertEquals(IllegalStateException.class.getName(), h.get(CourierHeaders.DLQ_EXCEPTION_CLASS).orElseThrow());
      assertEquals("the ledger …", h.get(CourierHeaders.DLQ_EXCEPTION_MESSAGE).orElseThrow(),
          "bounded to 12 characters, the cut marked, control characters replaced");
      Instant first = Instant.parse(h.get(CourierHeaders.DLQ_FIRST_FAILURE).orElseThrow());
      Instant last = Instant.parse(h.get(CourierHeaders.DLQ_LAST_FAILURE).orElseThrow());
      assertFalse(first.isBefore(before.minusSeconds(1)), "first failure " + first);
      assertTrue(first.isBefore(last), first + " should precede " + last);
      await(() -> transport.backlog(topic, group).getAsLong() == 0, "the original is acked");
      assertEquals(1, events.count("deadLettered"));
      assertTrue(events.events.contains("deadLettered:4:IllegalStateException"), events.events.toString());
    }
  }

  @Test
  @DisplayName("dead-letters an undecodable payload at once, without retries")
  void poisonPayload() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    try (Subscription s = courier.subscribe(options(RetryPolicy.defaults()).build(), d -> {
      calls.incrementAndGet();
      d.payload(Codecs.json(Order.class));
    })) {
      publish(text("{not json"));
      Message dead = onlyDeadLetter();
      assertEquals("undecodable", dead.headers().get(CourierHeaders.DLQ_REASON).orElseThrow());
      assertEquals("1", dead.headers().get(CourierHeaders.DLQ_ATTEMPTS).orElseThrow());
      assertEquals(1, calls.get());
      assertEquals(0, events.count("retried") + events.count("redelivered"));
    }
  }

  @Test
  @DisplayName("dead-letters a non-retryable exception at once, without retries")
  void nonRetryable() throws Exception {
    RetryPolicy policy = fastRetry().noRetryOn(IllegalArgumentException.class).build();
    AtomicInteger calls = new AtomicInteger();
    try (Subscription s = courier.subscribe(options(policy).build(), d -> {
      calls.incrementAndGet();
      throw new NumberFormatException("amount is not a number");
    })) {
      publish(text("x"));
      Message dead = onlyDeadLetter();
      assertEquals("non-retryable", dead.headers().get(CourierHeaders.DLQ_REASON).orElseThrow());
      assertEquals(NumberFormatException.class.getName(),
          dead.headers().get(CourierHeaders.DLQ_EXCEPTION_CLASS).orElseThrow());
      assertEquals(1, calls.get());
    }
  }

  @Test
  @DisplayName("keeps the message when the dead-letter publish fails, and dead-letters it once the broker accepts")
  void deadLetterPublishFailure() throws Exception {
    transport.failSendsTo.add(deadLetterTopic());
    try (Subscription s = courier.subscribe(options(RetryPolicy.builder().maxInProcessAttempts(1).maxDeliveries(1)
        .redeliveryInitialDelay(java.time.Duration.ofMillis(10)).redeliveryMaxDelay(java.time.Duration.ofMillis(10))
        .build()).build(), d -> {
      throw new IllegalStateException("always");
    })) {
      publish(text("x"));
      await(() -> events.count("redelivered") >= 3, "the failed dead-letter publish returns the message, repeatedly");
      assertTrue(events.events.stream().filter(e -> e.startsWith("redelivered"))
          .allMatch(e -> e.endsWith(PublishException.class.getSimpleName())), events.events.toString());
      assertEquals(0, events.count("deadLettered"));
      assertEquals(0, courier.admin().deadLetters(topic, group).count().getAsLong());
      assertEquals(1, transport.backlog(topic, group).getAsLong(), "the original is still on the source topic");

      transport.failSendsTo.clear();
      await(() -> events.count("deadLettered") == 1, "the message is dead-lettered once the broker accepts");
      await(() -> transport.backlog(topic, group).getAsLong() == 0, "the original is acked after the confirmed copy");
      assertEquals(1, courier.admin().deadLetters(topic, group).count().getAsLong());
    }
  }

  @Test
  @DisplayName("counts, peeks without consuming, and redrives up to N then all, with ids kept and dead-letter headers dropped")
  void redrive() throws Exception {
    AtomicBoolean broken = new AtomicBoolean(true);
    Map<String, Integer> handled = new ConcurrentHashMap<>();
    List<Message> redriven = new CopyOnWriteArrayList<>();
    RetryPolicy policy = RetryPolicy.none();
    // Idempotency on: a dead-lettered key is released, so the redriven copy is handled, not skipped.
    try (Subscription s = courier.subscribe(options(policy)
        .idempotency(Idempotency.using(InMemoryIdempotencyStore.create())).build(), d -> {
      if (broken.get()) {
        throw new IllegalStateException("downstream is down");
      }
      handled.merge(d.message().id(), 1, Integer::sum);
      redriven.add(d.message());
    })) {
      for (String id : List.of("a", "b", "c")) {
        publish(Message.builder().id(id).payload(new byte[] {1}).build());
      }
      DeadLetters dlq = courier.admin().deadLetters(topic, group);
      await(() -> dlq.count().getAsLong() == 3, "three dead letters");
      assertEquals(3, dlq.peek(10).size());
      assertEquals(2, dlq.peek(2).size());
      assertEquals(3, dlq.count().getAsLong(), "peeking consumes nothing");

      broken.set(false);
      assertEquals(2, dlq.redrive(2));
      await(() -> handled.size() == 2, "two redriven messages are handled");
      assertEquals(1, dlq.count().getAsLong());
      assertEquals(1, dlq.redrive());
      await(() -> handled.size() == 3, "the last one is handled");
      assertEquals(0, dlq.count().getAsLong());
      assertEquals(0, dlq.redrive());
    }
    assertEquals(Set.of("a", "b", "c"), handled.keySet());
    assertTrue(handled.values().stream().allMatch(n -> n == 1), handled.toString());
    for (Message m : redriven) {
      assertEquals("1", m.headers().get(CourierHeaders.REDRIVE_COUNT).orElseThrow());
      assertTrue(m.headers().names().stream().noneMatch(n -> n.startsWith(CourierHeaders.DLQ_PREFIX)),
          m.headers().toString());
    }
  }

  @Test
  @DisplayName("with a broker that cannot count, count() is unknown and redrive() drains until idle, redriving a re-failing message once")
  void redriveWithoutCount() throws Exception {
    transport.backlogUnknown = true;
    Map<String, Integer> handled = new ConcurrentHashMap<>();
    AtomicBoolean broken = new AtomicBoolean(true);
    try (Subscription s = courier.subscribe(options(RetryPolicy.none()).build(), d -> {
      if (broken.get() || d.message().id().equals("c")) {
        throw new IllegalStateException("downstream is down");
      }
      handled.merge(d.message().id(), 1, Integer::sum);
    })) {
      for (String id : List.of("a", "b", "c")) {
        publish(Message.builder().id(id).payload(new byte[] {1}).build());
      }
      DeadLetters dlq = courier.admin().deadLetters(topic, group);
      String dlGroup = transport.naming().deadLetterGroup();
      await(() -> transport.delegate.backlog(dlq.topic(), dlGroup).getAsLong() == 3, "three dead letters");
      assertEquals(java.util.OptionalLong.empty(), dlq.count(), "an unknown backlog is reported as unknown");

      broken.set(false);
      assertEquals(3, dlq.redrive(), "a, b and c are moved once each; c fails again and is not moved twice");
      await(() -> handled.keySet().equals(Set.of("a", "b")), "a and b are handled");
      await(() -> transport.delegate.backlog(dlq.topic(), dlGroup).getAsLong() == 1, "c is a dead letter again");
    }
  }

  @Test
  @DisplayName("keeps a dead letter in place when its redrive publish fails")
  void redriveFailure() throws Exception {
    try (Subscription s = courier.subscribe(options(RetryPolicy.none()).build(), d -> {
      throw new IllegalStateException("always");
    })) {
      publish(text("x"));
      DeadLetters dlq = courier.admin().deadLetters(topic, group);
      await(() -> dlq.count().getAsLong() == 1, "one dead letter");
      s.close();
      transport.failSendsTo.add(topic);
      assertThrows(PublishException.class, dlq::redrive);
      await(() -> dlq.count().getAsLong() == 1, "the dead letter is back in place");
    }
    assertThrows(IllegalArgumentException.class, () -> courier.admin().deadLetters(topic, group).redrive(-1));
    assertThrows(IllegalArgumentException.class, () -> courier.admin().deadLetters(topic, group).peek(0));
  }
}
