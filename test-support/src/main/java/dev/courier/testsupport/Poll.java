package dev.courier.testsupport;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Waiting in tests by polling with a deadline, never by sleeping a fixed time: the one polling
 * helper for the modules' tests and the TCK. Checks every 20 ms; an interrupt ends the wait with
 * one last check.
 */
public final class Poll {
  /** The patience of {@link #await(BooleanSupplier, String)}: for what normally takes milliseconds. */
  public static final Duration DEADLINE = Duration.ofSeconds(20);
  private static final long EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

  private Poll() {}

  /** True as soon as {@code condition} holds; false if it still does not at {@code timeout}. */
  public static boolean until(Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() - deadline < 0 && !Thread.currentThread().isInterrupted()) {
      if (condition.getAsBoolean()) {
        return true;
      }
      LockSupport.parkNanos(EVERY_NANOS);
    }
    return condition.getAsBoolean();
  }

  /** True if {@code condition} holds at every check during {@code period} (something must not happen). */
  public static boolean holdsFor(Duration period, BooleanSupplier condition) {
    long end = System.nanoTime() + period.toNanos();
    while (System.nanoTime() - end < 0 && !Thread.currentThread().isInterrupted()) {
      if (!condition.getAsBoolean()) {
        return false;
      }
      LockSupport.parkNanos(EVERY_NANOS);
    }
    return condition.getAsBoolean();
  }

  /** Waits up to {@link #DEADLINE} until {@code condition} holds, else fails saying what did not happen. */
  public static void await(BooleanSupplier condition, String what) {
    await(DEADLINE, condition, what);
  }

  /** Waits up to {@code timeout} until {@code condition} holds, else fails saying what did not happen. */
  public static void await(Duration timeout, BooleanSupplier condition, String what) {
    if (!until(timeout, condition)) {
      throw new AssertionError("timed out after " + timeout + " waiting until " + what);
    }
  }
}
