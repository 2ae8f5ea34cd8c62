package dev.courier.rabbitmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.Courier;
import dev.courier.Message;
import dev.courier.testsupport.RabbitMqServer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Closing a RabbitMQ Courier")
class RabbitMqCloseTest {
  private static final int COUNT = 2_000;
  private static final String GROUP = "g";

  @AfterAll
  static void deleteQueues() {
    LeftoverQueues.deleteStartingWith("test-" + LeftoverQueues.RUN + "-");
  }

  private static RabbitMqSettings settings() {
    return RabbitMqSettings.builder().uri(RabbitMqServer.shared().uri()).connectionName("courier-close-test").build();
  }

  @Test
  @DisplayName("Courier.close() right after 2000 unawaited publishes waits for their confirms: every future succeeds and every message is stored")
  void courierCloseFlushesUnconfirmedPublishes() throws Exception {
    String topic = topic();
    List<CompletableFuture<Void>> futures = new ArrayList<>(COUNT);
    Courier courier = Courier.builder().transport(RabbitMqTransport.connect(settings())).build();
    try {
      courier.admin().ensureGroup(topic, GROUP);
      for (int i = 0; i < COUNT; i++) {
        futures.add(courier.publisher().publish(topic, Message.of(("m" + i).getBytes())));
      }
    } finally {
      courier.close();
    }
    assertAllConfirmedAndStored(topic, futures);
  }

  @Test
  @DisplayName("the transport's own close() right after 2000 unawaited sends waits for the confirms in flight instead of failing them")
  void transportCloseWaitsForConfirmsInFlight() throws Exception {
    String topic = topic();
    List<CompletableFuture<Void>> futures = new ArrayList<>(COUNT);
    try (RabbitMqTransport transport = RabbitMqTransport.connect(settings())) {
      transport.ensureGroup(topic, GROUP);
      for (int i = 0; i < COUNT; i++) {
        futures.add(transport.send(topic, Message.of(("m" + i).getBytes())));
      }
    }
    assertAllConfirmedAndStored(topic, futures);
  }

  private static String topic() {
    return "test-" + LeftoverQueues.RUN + "-flush-" + System.nanoTime();
  }

  private static void assertAllConfirmedAndStored(String topic, List<CompletableFuture<Void>> futures) {
    List<String> failures = new ArrayList<>();
    for (CompletableFuture<Void> f : futures) {
      assertTrue(f.isDone(), "close() returned before a publish future completed");
      f.exceptionally(e -> {
        failures.add(String.valueOf(e.getCause() == null ? e : e.getCause()));
        return null;
      });
    }
    assertEquals(List.of(), failures.subList(0, Math.min(3, failures.size())),
        failures.size() + " of " + COUNT + " publishes failed; the first ones are shown");
    try (RabbitMqTransport fresh = RabbitMqTransport.connect(settings())) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      long stored = fresh.backlog(topic, GROUP).getAsLong();
      while (stored < COUNT && System.nanoTime() - deadline < 0) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        stored = fresh.backlog(topic, GROUP).getAsLong();
      }
      assertEquals(COUNT, stored, "messages in the group's queue after close()");
    }
  }
}
