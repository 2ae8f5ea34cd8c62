package dev.courier.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.Courier;
import dev.courier.DeadLetters;
import dev.courier.Message;
import dev.courier.RetryPolicy;
import dev.courier.SubscriptionOptions;
import dev.courier.testsupport.Poll;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Kafka dead-letter topics through the core layer: count, peek without consuming")
class KafkaDeadLetterTest {
  @Test
  @DisplayName("dead letters can be peeked, oldest first, without changing their count")
  void peekDoesNotConsume() {
    try (Courier courier = KafkaTestSupport.newCourier()) {
      String topic = "kd-" + UUID.randomUUID().toString().substring(0, 8);
      DeadLetters dl = courier.admin().deadLetters(topic, "g");
      courier.subscribe(SubscriptionOptions.builder(topic, "g").retry(RetryPolicy.none()).build(), d -> {
        throw new IllegalStateException("always fails");
      });
      List<Message> sent = List.of(Message.of(new byte[] {1}), Message.of(new byte[] {2}), Message.of(new byte[] {3}));
      for (Message m : sent) {
        courier.publisher().publish(topic, m).join();
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5)); // distinct timestamps: a defined oldest-first order
      }
      Poll.until(Duration.ofSeconds(20), () -> dl.count().getAsLong() >= 3);
      assertEquals(3, dl.count().getAsLong(), "dead letters counted");
      List<Message> peeked = dl.peek(10);
      assertEquals(sent.stream().map(Message::id).collect(Collectors.toSet()),
          peeked.stream().map(Message::id).collect(Collectors.toSet()), "peek shows the dead letters");
      assertTrue(peeked.get(0).headers().contains("courier-dlq-reason"), "dead-letter headers are visible");
      assertEquals(1, dl.peek(1).size());
      assertEquals(3, dl.count().getAsLong(), "peek must not consume");
      assertEquals(Set.of(), Set.copyOf(courier.admin().deadLetters(topic + "-none", "g").peek(5)), "nothing to peek");
    }
  }
}
