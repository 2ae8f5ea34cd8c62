package dev.courier.inmemory;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits for a condition by polling with a deadline: the module's tests' one way to wait for state. */
public final class Poll {
  public static final Duration DEADLINE = Duration.ofSeconds(20);

  private Poll() {}

  public static void until(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out after " + DEADLINE + " waiting until " + what);
      }
      Thread.sleep(5);
    }
  }
}
