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
  @DisplayName("a refused publish's failure callback may publish again on its key: every future completes, none is left to time out")
  void failureCallbackPublishesAgainOnItsKey() throws Exception {
    // A publish timeout far beyond the deadlines below, so a future left pending is not hidden by its timer.
    PubSubTransport t = PubSubTransport.connect(PubSubTestSupport.settings().publishTimeout(Duration.ofSeconds(120)).build());
    try {
      for (int round = 0; round < 5; round++) {
        String topic = PubSubTestSupport.uniqueName("recall");
        // No topic yet: Pub/Sub refuses (NOT_FOUND) and the key recovers; its next publish goes alone and the
        // two after it wait behind it, so its refusal fails them, and the first one's callback publishes again.
        assertRefused(t.send(topic, keyed(0)), "round " + round + ": the first publish");
        CompletableFuture<Void> alone = t.send(topic, keyed(1));
        CompletableFuture<Void> behind = t.send(topic, keyed(2));
        CompletableFuture<Void> last = t.send(topic, keyed(3));
        CompletableFuture<CompletableFuture<Void>> again = new CompletableFuture<>();
        behind.whenComplete((v, e) -> {
          try {
            again.complete(t.send(topic, keyed(4)));
          } catch (Throwable x) {
            again.completeExceptionally(x);
          }
        });
        assertRefused(alone, "round " + round + ": the publish sent alone");
        assertRefused(behind, "round " + round + ": the publish behind it");
        assertRefused(last, "round " + round + ": the last publish behind it");
        CompletableFuture<Void> republished;
        try {
          republished = again.get(15, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          throw new AssertionError("round " + round + ": the publish from the failure callback threw " + e.getCause(), e);
        }
        assertRefused(republished, "round " + round + ": the publish from the failure callback");
        t.ensureTopic(topic);
        try {
          t.send(topic, keyed(5)).get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          fail("round " + round + ": the key's publish once the topic exists failed: " + e.getCause(), e);
        }
      }
    } finally {
      t.close();
    }
  }

  @Test
  @DisplayName("a confirmation callback that waits for another key's publish of the same topic does not stall it")
  void confirmationCallbackWaitsForAnotherKey() throws Exception {
    PubSubTransport t = PubSubTransport.connect(PubSubTestSupport.settings().publishTimeout(Duration.ofSeconds(120)).build());
    try {
      String topic = PubSubTestSupport.uniqueName("blocking");
      t.ensureTopic(topic);
      CompletableFuture<String> nested = new CompletableFuture<>();
      t.send(topic, Message.builder().key("a").payload(new byte[] {1}).build()).whenComplete((v, e) -> {
        try {
          t.send(topic, Message.builder().key("b").payload(new byte[] {2}).build()).get(60, TimeUnit.SECONDS);
          nested.complete("confirmed");
        } catch (Exception x) {
          nested.complete("failed: " + x);
        }
      });
      String outcome;
      try {
        outcome = nested.get(15, TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        outcome = "still waiting after 15 s";
      }
      assertEquals("confirmed", outcome, "the other key's publish, awaited in a confirmation callback");
    } finally {
      t.close();
    }
  }

  private static Message keyed(int n) {
    return Message.builder().key("k").payload(new byte[] {(byte) n}).build();
  }

  /** Fails unless {@code f} fails with a PublishException saying Pub/Sub did not accept it, within 15 s. */
  private static void assertRefused(CompletableFuture<Void> f, String what) {
    try {
      f.get(15, TimeUnit.SECONDS);
      fail(what + " was confirmed, but the topic does not exist");
    } catch (ExecutionException e) {
      assertInstanceOf(PublishException.class, e.getCause(), what);
      if (!e.getCause().getMessage().contains("did not accept")) {
        fail(what + " failed, but not as refused: " + e.getCause().getMessage());
      }
    } catch (java.util.concurrent.TimeoutException e) {
      fail(what + " was still pending after 15 s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
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
