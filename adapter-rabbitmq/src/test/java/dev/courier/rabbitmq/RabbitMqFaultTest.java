package dev.courier.rabbitmq;

import dev.courier.testsupport.Poll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.Message;
import dev.courier.spi.ReceiveSpec;
import dev.courier.spi.Receiver;
import dev.courier.testsupport.RabbitMqNode;
import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Faults that need a broker of our own: restarts and alarms, on a private node started once for the class. */
@DisplayName("RabbitMQ transport under broker faults (private node)")
class RabbitMqFaultTest {
  private static RabbitMqNode node;
  private RabbitMqTransport transport;

  @BeforeAll
  static void startNode() {
    node = RabbitMqNode.start();
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  @BeforeEach
  void connect() {
    node.restart(); // in case a test left it stopped
    transport = RabbitMqTransport.connect(settings().build());
  }

  @AfterEach
  void disconnect() {
    transport.close();
  }

  private static RabbitMqSettings.Builder settings() {
    return RabbitMqSettings.builder().uri(node.uri()).connectionName("courier-fault-test")
        .recoveryInterval(Duration.ofMillis(300)).publishTimeout(Duration.ofSeconds(5));
  }

  static void await(String what, Duration timeout, BooleanSupplier condition) {
    Poll.await(timeout, condition, what);
  }

  private boolean publishes(String topic) {
    try {
      transport.send(topic, Message.of(new byte[] {0})).get(2, TimeUnit.SECONDS);
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  @Test
  @DisplayName("a receiver closed while the connection is down does not come back with recovery to hold messages")
  void closeDuringRecoveryLeavesNoHiddenConsumer() throws Exception {
    String topic = "fault-" + UUID.randomUUID();
    transport.ensureGroup(topic, "g");
    AtomicInteger zombie = new AtomicInteger();
    Receiver first = transport.receive(new ReceiveSpec(topic, "g", 10, false), d -> zombie.incrementAndGet());
    node.stop();
    await("publishing to notice the lost connection", Duration.ofSeconds(10), () -> !publishes(topic));
    first.stopFetching();
    first.close();
    node.restart();
    await("the connection to recover", Duration.ofSeconds(30), () -> publishes(topic));
    Set<String> sent = ConcurrentHashMap.newKeySet();
    Set<String> got = ConcurrentHashMap.newKeySet();
    Receiver second = transport.receive(new ReceiveSpec(topic, "g", 10, false), d -> {
      got.add(d.message().id());
      d.ack();
    });
    try {
      for (int i = 0; i < 5; i++) {
        Message m = Message.of(new byte[] {1});
        sent.add(m.id());
        transport.send(topic, m).get(10, TimeUnit.SECONDS);
      }
      await("all 5 messages reaching the live receiver (got " + got.size() + ")", Duration.ofSeconds(30),
          () -> got.containsAll(sent));
      assertEquals(0, zombie.get(), "the closed receiver's sink was called");
    } finally {
      second.close();
    }
  }

  @Test
  @DisplayName("a subscription made while the connection is down declares its queue and consumes once the connection is back")
  void subscribeDuringOutage() throws Exception {
    String topic = "fault-" + UUID.randomUUID();
    node.stop();
    await("publishing to notice the lost connection", Duration.ofSeconds(10), () -> !publishes(topic));
    Set<String> got = ConcurrentHashMap.newKeySet();
    Receiver receiver = transport.receive(new ReceiveSpec(topic, "g", 10, false), d -> {
      got.add(d.message().id());
      d.ack();
    });
    try {
      node.restart();
      Message m = Message.of(new byte[] {3});
      // Unroutable (and so failed) until the receiver has declared its queue on the recovered connection.
      await("a publish to the group's queue to be confirmed", Duration.ofSeconds(30), () -> {
        try {
          transport.send(topic, m).get(2, TimeUnit.SECONDS);
          return true;
        } catch (Exception e) {
          return false;
        }
      });
      await("the message reaching the receiver made during the outage", Duration.ofSeconds(15),
          () -> got.contains(m.id()));
    } finally {
      receiver.close();
    }
  }

  @Test
  @DisplayName("while a memory alarm blocks publishing, a publish fails at once naming the block, and works again after")
  void blockedConnectionFailsFast() throws Exception {
    String topic = "fault-" + UUID.randomUUID();
    transport.ensureGroup(topic, "g");
    node.rabbitmqctl("set_vm_memory_high_watermark", "0");
    try {
      await("a publish failing at once because the broker blocked the connection", Duration.ofSeconds(30), () -> {
        long t0 = System.nanoTime();
        try {
          transport.send(topic, Message.of(new byte[] {2})).get(2, TimeUnit.SECONDS);
          return false;
        } catch (ExecutionException e) {
          return e.getCause().getMessage().contains("blocked publishing")
              && System.nanoTime() - t0 < TimeUnit.MILLISECONDS.toNanos(500);
        } catch (Exception e) {
          return false;
        }
      });
    } finally {
      node.rabbitmqctl("set_vm_memory_high_watermark", "0.4");
    }
    await("publishing to work again after the alarm cleared", Duration.ofSeconds(30), () -> publishes(topic));
  }
}
