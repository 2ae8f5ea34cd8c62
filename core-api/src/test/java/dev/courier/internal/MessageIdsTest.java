package dev.courier.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("MessageIds")
class MessageIdsTest {
  @Test
  @DisplayName("prints a version-7, RFC 4122 variant UUID in lower case")
  void format() {
    for (int i = 0; i < 1_000; i++) {
      String id = MessageIds.next();
      assertTrue(id.matches("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"), id);
      UUID uuid = UUID.fromString(id);
      assertEquals(7, uuid.version(), id);
      assertEquals(2, uuid.variant(), id);
    }
  }

  @Test
  @DisplayName("carries the creation time in milliseconds in its first 48 bits")
  void timeOrdered() {
    long before = System.currentTimeMillis();
    String id = MessageIds.next();
    long after = System.currentTimeMillis();
    long millis = Long.parseLong(id.substring(0, 8) + id.substring(9, 13), 16);
    assertTrue(millis >= before && millis <= after, id + " has time " + millis + ", not in [" + before + ", " + after + "]");
  }

  @Test
  @DisplayName("never repeats across 4 threads generating 50,000 ids each")
  void unique() throws InterruptedException {
    int threads = 4;
    int perThread = 50_000;
    Set<String> seen = ConcurrentHashMap.newKeySet();
    CountDownLatch start = new CountDownLatch(1);
    CountDownLatch done = new CountDownLatch(threads);
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread w = new Thread(() -> {
        try {
          start.await();
          for (int i = 0; i < perThread; i++) {
            seen.add(MessageIds.next());
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } finally {
          done.countDown();
        }
      });
      w.start();
      workers.add(w);
    }
    start.countDown();
    assertTrue(done.await(30, TimeUnit.SECONDS), "id generation did not finish in time");
    assertEquals(threads * perThread, seen.size());
  }
}
