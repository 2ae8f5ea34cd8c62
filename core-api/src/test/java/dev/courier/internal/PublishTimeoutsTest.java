package dev.courier.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.PublishException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Publish timeouts")
class PublishTimeoutsTest {
  @Test
  @DisplayName("fail an unconfirmed publish with a PublishException after the timeout, naming the message and the key, saying it may or may not be stored")
  void failsUnconfirmed() throws Exception {
    try (PublishTimeouts timeouts = new PublishTimeouts(Duration.ofMillis(200))) {
      CompletableFuture<Void> never = new CompletableFuture<>();
      long start = System.nanoTime();
      timeouts.watch(never, "orders", "m-1");
      ExecutionException e = assertThrows(ExecutionException.class, () -> never.get(10, TimeUnit.SECONDS));
      long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertInstanceOf(PublishException.class, e.getCause());
      assertTrue(e.getCause().getMessage().contains("m-1") && e.getCause().getMessage().contains("courier.publish-timeout"),
          e.getCause().getMessage());
      assertTrue(e.getCause().getMessage().contains("may or may not have been stored"), e.getCause().getMessage());
      assertTrue(waitedMillis >= 195, "failed after " + waitedMillis + " ms, before the 200 ms timeout");
    }
  }

  @Test
  @DisplayName("leave a publish confirmed in time alone, even when later ones time out")
  void leavesConfirmedAlone() throws Exception {
    try (PublishTimeouts timeouts = new PublishTimeouts(Duration.ofMillis(100))) {
      CompletableFuture<Void> confirmed = new CompletableFuture<>();
      CompletableFuture<Void> unconfirmed = new CompletableFuture<>();
      timeouts.watch(confirmed, "t", "a");
      timeouts.watch(unconfirmed, "t", "b");
      confirmed.complete(null);
      assertThrows(ExecutionException.class, () -> unconfirmed.get(10, TimeUnit.SECONDS));
      assertFalse(confirmed.isCompletedExceptionally());
    }
  }

  @Test
  @DisplayName("fail what is still unconfirmed when closed, since nothing would time it out any more")
  void closeFailsPending() {
    PublishTimeouts timeouts = new PublishTimeouts(Duration.ofMinutes(10));
    CompletableFuture<Void> pending = new CompletableFuture<>();
    timeouts.watch(pending, "t", "c");
    timeouts.close();
    assertTrue(pending.isCompletedExceptionally());
  }

  @Test
  @DisplayName("fail a publish watched after close at once, so a publish racing close never hangs")
  void watchAfterCloseFails() {
    PublishTimeouts timeouts = new PublishTimeouts(Duration.ofMinutes(10));
    timeouts.close();
    CompletableFuture<Void> late = new CompletableFuture<>();
    timeouts.watch(late, "t", "d");
    assertTrue(late.isCompletedExceptionally(), "a publish watched after close was left pending");
  }

  @Test
  @DisplayName("flushing waits for publishes confirmed before the deadline, then fails the rest saying the close timed out")
  void flushWaitsThenFails() {
    try (PublishTimeouts timeouts = new PublishTimeouts(Duration.ofMinutes(10))) {
      CompletableFuture<Void> confirmedLater = new CompletableFuture<>();
      CompletableFuture<Void> never = new CompletableFuture<>();
      timeouts.watch(confirmedLater, "t", "e");
      timeouts.watch(never, "t", "f");
      // Confirmed 50 ms in, far inside the deadline even on a loaded machine (a 300 ms deadline was
      // missed once in CI when the common pool's timer thread ran late).
      Thread confirmer = new Thread(() -> {
        try {
          Thread.sleep(50); // the broker's confirmation arriving later, not synchronization
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        confirmedLater.complete(null);
      });
      confirmer.start();
      long start = System.nanoTime();
      int failed = timeouts.flush(start + TimeUnit.MILLISECONDS.toNanos(2_000));
      long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertTrue(confirmedLater.isDone() && !confirmedLater.isCompletedExceptionally(), "the confirmed publish failed");
      ExecutionException e = assertThrows(ExecutionException.class, () -> never.get(0, TimeUnit.SECONDS));
      assertTrue(e.getCause().getMessage().contains("close timed out")
          && e.getCause().getMessage().contains("may or may not have been stored"), e.getCause().getMessage());
      assertTrue(failed == 1 && waitedMillis >= 1_995, failed + " failed after " + waitedMillis + " ms");
    }
  }
}
