package dev.courier.pubsub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import dev.courier.GroupOptions;
import dev.courier.Message;
import dev.courier.PublishException;
import dev.courier.spi.ReceiveSpec;
import dev.courier.spi.Receiver;
import dev.courier.spi.TransportDelivery;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Pub/Sub publishing")
class PubSubPublishTest {
  private PubSubTransport transport;

  @BeforeEach
  void connect() {
    transport = PubSubTestSupport.newTransport();
  }

  @AfterEach
  void close() {
    transport.close();
  }

  @Test
  @DisplayName("after a publish of a key fails, the key is resumed: its next publish is accepted and arrives in order")
  void keyResumesAfterFailedPublish() throws Exception {
    String topic = PubSubTestSupport.uniqueName("resume");
    // The topic does not exist yet: Pub/Sub refuses the publish (NOT_FOUND), which pauses the key in the client.
    ExecutionException failed = assertThrows(ExecutionException.class,
        () -> transport.send(topic, Message.builder().key("k").payload(new byte[] {0}).build()).get(30, TimeUnit.SECONDS));
    assertInstanceOf(PublishException.class, failed.getCause());

    transport.ensureGroup(topic, "g-resume", GroupOptions.defaults().withOrderedByKey(true));
    BlockingQueue<TransportDelivery> in = new LinkedBlockingQueue<>();
    Receiver r = transport.receive(new ReceiveSpec(topic, "g-resume", 8, true), in::add);
    try {
      for (int i = 1; i <= 3; i++) {
        transport.send(topic, Message.builder().key("k").payload(new byte[] {(byte) i}).build()).get(30, TimeUnit.SECONDS);
      }
      for (int i = 1; i <= 3; i++) {
        TransportDelivery d = in.poll(20, TimeUnit.SECONDS);
        if (d == null) {
          fail("message " + i + " of the resumed key did not arrive within 20 s");
        }
        assertEquals(i, d.message().payload()[0], "the resumed key's messages arrive in publish order");
        d.ack();
      }
    } finally {
      r.close();
    }
  }

  @Test
  @DisplayName("a key's publish issued after its refused publish failed is sent, never cancelled by that failure (repeated: the client pauses the key on another thread)")
  void publishAfterRefusedOneIsSentEveryTime() throws Exception {
    for (int i = 0; i < 100; i++) {
      String topic = PubSubTestSupport.uniqueName("refused");
      // No topic yet: Pub/Sub refuses (NOT_FOUND) and the client pauses key "k"; the second publish is
      // issued before the first failed, so it is queued behind it and fails too (never left pending).
      CompletableFuture<Void> refused = transport.send(topic, Message.builder().key("k").payload(new byte[] {0}).build());
      CompletableFuture<Void> behind = transport.send(topic, Message.builder().key("k").payload(new byte[] {0}).build());
      for (CompletableFuture<Void> f : List.of(refused, behind)) {
        ExecutionException failed = assertThrows(ExecutionException.class, () -> f.get(30, TimeUnit.SECONDS));
        assertInstanceOf(PublishException.class, failed.getCause());
      }
      transport.ensureTopic(topic);
      try {
        transport.send(topic, Message.builder().key("k").payload(new byte[] {1}).build()).get(30, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        fail("round " + i + ": the publish issued after the refused one completed failed: " + e.getCause(), e);
      }
    }
  }

  @Test
  @DisplayName("a publish the emulator does not confirm fails within the publish timeout")
  void unconfirmedPublishFails() {
    PubSubTransport unreachable = PubSubTransport.connect(PubSubTestSupport.settings()
        .emulatorHost("127.0.0.1:" + dev.courier.testsupport.Ports.free()).publishTimeout(Duration.ofSeconds(2)).build());
    try {
      long t0 = System.nanoTime();
      ExecutionException e = assertThrows(ExecutionException.class, () -> unreachable.send("nowhere",
          Message.of(new byte[1])).get(30, TimeUnit.SECONDS));
      assertInstanceOf(PublishException.class, e.getCause());
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      if (ms > 10_000) {
        fail("the publish failed only after " + ms + " ms, beyond its 2 s timeout");
      }
    } finally {
      unreachable.close();
    }
  }
}
