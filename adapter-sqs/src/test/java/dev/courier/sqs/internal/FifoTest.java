package dev.courier.sqs.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.CourierHeaders;
import dev.courier.Message;
import dev.courier.sqs.SqsSettings;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("FIFO rules")
class FifoTest {
  @Test
  @DisplayName("'*' makes every topic FIFO but dead-letter topics; a list only the topics it names")
  void whichTopics() {
    Fifo all = new Fifo(Set.of("*"));
    assertTrue(all.any() && all.isFifo("orders"));
    assertFalse(all.isFifo("orders-g-dlq"));
    Fifo listed = new Fifo(SqsSettings.builder().fifoTopics(" orders, payments ,").build().fifoTopics());
    assertTrue(listed.isFifo("orders") && listed.isFifo("payments"));
    assertFalse(listed.isFifo("audit"));
    assertFalse(new Fifo(Set.of()).any());
    assertThrows(IllegalArgumentException.class, () -> SqsSettings.builder().fifoTopics("a.b"));
    assertThrows(IllegalArgumentException.class, () -> SqsSettings.builder().fifoTopics("*,orders"));
  }

  @Test
  @DisplayName("the key is the group id (the id when unkeyed), the id the deduplication id; a redrive gets an id of its own")
  void ids() {
    Message m = Message.builder().id("m-1").key("customer-7").payload(new byte[0]).build();
    assertEquals(new Fifo.Ids("customer-7", "m-1"), Fifo.ofPublished(m));
    Message unkeyed = Message.builder().id("m-2").payload(new byte[0]).build();
    assertEquals("m-2", Fifo.ofPublished(unkeyed).groupId());
    Message redriven = m.withHeaders(m.headers().with(CourierHeaders.REDRIVE_COUNT, "1"));
    assertEquals("m-1#r1", Fifo.ofPublished(redriven).deduplicationId());
  }

  @Test
  @DisplayName("ids SQS would refuse (non-ASCII, over 128 characters, a leading '#') travel hashed, so no two meet")
  void tokens() {
    assertEquals("a:b/c", Fifo.token("a:b/c"));
    for (String raw : new String[] {"kunde-ä", "x".repeat(129), "#abc", "with space"}) {
      String t = Fifo.token(raw);
      assertTrue(t.matches("#[0-9a-f]{64}"), raw + " -> " + t);
    }
    assertNotEquals(Fifo.token("#abc"), Fifo.token("abc"));
  }

  @Test
  @DisplayName("the time since a receive rounds up to whole seconds, so a hidden message never outlives SQS's cap")
  void elapsedSeconds() {
    assertEquals(0, SqsReceiver.elapsedSeconds(0));
    assertEquals(1, SqsReceiver.elapsedSeconds(1));
    assertEquals(1, SqsReceiver.elapsedSeconds(Duration.ofSeconds(1).toNanos()));
    assertEquals(2, SqsReceiver.elapsedSeconds(Duration.ofMillis(1001).toNanos()));
  }
}
