package dev.courier.spi.support;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Named threads whose uncaught exceptions are logged through SLF4J rather than printed to stderr. */
public final class Threads {
  private static final Logger log = LoggerFactory.getLogger(Threads.class);
  private static final Thread.UncaughtExceptionHandler LOG_UNCAUGHT =
      (t, e) -> log.error("uncaught exception on thread '{}'", t.getName(), e);

  private Threads() {}

  /**
   * Threads named {@code prefix} for the first one, then {@code prefix-2}, {@code prefix-3}…, so a
   * single-thread executor's thread carries exactly the name it was given.
   */
  public static ThreadFactory factory(String prefix, boolean daemon) {
    Objects.requireNonNull(prefix, "prefix");
    AtomicInteger count = new AtomicInteger();
    return r -> {
      int n = count.incrementAndGet();
      return thread(n == 1 ? prefix : prefix + "-" + n, daemon, r);
    };
  }

  /** One unstarted thread named {@code name}. */
  public static Thread thread(String name, boolean daemon, Runnable body) {
    Thread t = new Thread(Objects.requireNonNull(body, "body"), Objects.requireNonNull(name, "name"));
    t.setDaemon(daemon);
    t.setUncaughtExceptionHandler(LOG_UNCAUGHT);
    return t;
  }

  /** Sleeps {@code millis} (a backoff, not synchronization); an interrupt ends it early and stays set. */
  public static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Checks {@code done} every 5 ms until it holds (true), or {@code timeout} passed or the thread is interrupted (false). */
  public static boolean awaitUntil(Duration timeout, BooleanSupplier done) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0 || Thread.currentThread().isInterrupted()) {
        return false;
      }
      sleep(5);
    }
    return true;
  }
}
