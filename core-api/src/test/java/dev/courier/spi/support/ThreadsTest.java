package dev.courier.spi.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.ThreadFactory;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Threads")
class ThreadsTest {
  @Test
  @DisplayName("a factory names its first thread after the prefix, then counts, and sets daemon as asked")
  void namedCountedDaemon() {
    ThreadFactory f = Threads.factory("courier-test", true);
    Thread one = f.newThread(() -> {});
    Thread two = f.newThread(() -> {});
    assertEquals("courier-test", one.getName());
    assertEquals("courier-test-2", two.getName());
    assertTrue(one.isDaemon());
    assertFalse(Threads.factory("x", false).newThread(() -> {}).isDaemon());
  }

  @Test
  @DisplayName("uncaught exceptions go to a logging handler, not the thread group's default")
  void uncaughtHandlerIsSet() throws Exception {
    Thread t = Threads.thread("courier-test-uncaught", true, () -> {
      throw new IllegalStateException("expected by the test");
    });
    assertNotSame(t.getThreadGroup(), t.getUncaughtExceptionHandler());
    t.start();
    t.join(30_000);
    assertFalse(t.isAlive());
  }

  @Test
  @DisplayName("awaitUntil returns true once the condition holds, false after the timeout or when interrupted")
  void awaitUntil() {
    long start = System.nanoTime();
    assertTrue(Threads.awaitUntil(Duration.ofSeconds(30), () -> System.nanoTime() - start > 20_000_000L));
    assertFalse(Threads.awaitUntil(Duration.ofMillis(30), () -> false));
    Thread.currentThread().interrupt();
    try {
      assertFalse(Threads.awaitUntil(Duration.ofSeconds(30), () -> false), "an interrupted wait went on");
      Threads.sleep(10_000);
      assertTrue(Thread.currentThread().isInterrupted(), "sleep cleared the interrupt");
    } finally {
      Thread.interrupted();
    }
    assertTrue(System.nanoTime() - start < 10_000_000_000L, "an interrupted sleep slept");
  }
}
