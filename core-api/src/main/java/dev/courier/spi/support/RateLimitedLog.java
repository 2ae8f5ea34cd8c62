package dev.courier.spi.support;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Lets a log line through at most once per interval per key, and counts the ones it held back, so a
 * failure repeated thousands of times a second logs once a minute, saying how often it happened.
 * Thread-safe; the caller logs (through SLF4J) whatever it is let through.
 */
public final class RateLimitedLog {
  /** Returned by {@link #admit} for a line to hold back. */
  public static final long SUPPRESSED = -1;

  private final long intervalNanos;
  private final LongSupplier nanoClock;
  private final ConcurrentHashMap<Object, Window> windows = new ConcurrentHashMap<>();

  /** At most once per {@code interval} per key, timed by {@link System#nanoTime()}. */
  public RateLimitedLog(Duration interval) {
    this(interval, System::nanoTime);
  }

  /** As above, timed by {@code nanoClock} (a monotonic clock in nanoseconds). */
  public RateLimitedLog(Duration interval, LongSupplier nanoClock) {
    Objects.requireNonNull(interval, "interval");
    if (interval.isNegative()) {
      throw new IllegalArgumentException("interval must not be negative, was " + interval);
    }
    this.intervalNanos = interval.toNanos();
    this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
  }

  /**
   * Whether the line for {@code key} may be logged now: {@link #SUPPRESSED} if not (it is counted);
   * otherwise how many lines for the key were suppressed since the last one let through.
   */
  public long admit(Object key) {
    Objects.requireNonNull(key, "key");
    long now = nanoClock.getAsLong();
    long[] result = new long[1];
    windows.compute(key, (k, w) -> {
      if (w != null && now - w.loggedAt < intervalNanos) {
        w.suppressed++;
        result[0] = SUPPRESSED;
        return w;
      }
      result[0] = w == null ? 0 : w.suppressed;
      return new Window(now);
    });
    return result[0];
  }

  /** {@link #admit} for the single key of a limiter that guards one kind of line. */
  public long admit() {
    return admit(Window.class);
  }

  /** ", and N more in the last interval" style suffix for a line let through; empty when none. */
  public static String more(long suppressed, String what) {
    return suppressed <= 0 ? "" : " (and " + suppressed + " more " + what + ")";
  }

  private static final class Window {
    final long loggedAt;
    long suppressed;

    Window(long loggedAt) {
      this.loggedAt = loggedAt;
    }
  }
}
