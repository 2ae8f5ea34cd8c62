package dev.courier.pubsub.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("RecentAcks")
class RecentAcksTest {
  @Test
  @DisplayName("remembers acks within its time to live and its capacity only")
  void boundedInTimeAndNumber() {
    RecentAcks recent = new RecentAcks(2, TimeUnit.MINUTES.toNanos(1));
    recent.add("a");
    recent.add("b");
    assertTrue(recent.contains("a"));
    recent.add("c");
    assertFalse(recent.contains("a"), "the oldest is forgotten beyond the capacity");
    assertTrue(recent.contains("c"));
    RecentAcks expired = new RecentAcks(2, 0);
    expired.add("a");
    assertFalse(expired.contains("a"), "an ack older than the time to live (a seek replay) is not remembered");
  }
}
