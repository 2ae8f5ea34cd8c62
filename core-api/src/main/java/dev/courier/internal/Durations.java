package dev.courier.internal;

import java.time.Duration;

/**
 * The longest duration Courier works with: 36,500 days (about a century), so that "forever"
 * ({@code Duration.ofMillis(Long.MAX_VALUE)}) neither overflows {@link Duration#toNanos()} nor a
 * {@code System.nanoTime()} deadline. Builders cap longer durations at it; configuration refuses them.
 */
public final class Durations {
  /** 36,500 days. */
  public static final Duration MAX = Duration.ofDays(36_500);

  private Durations() {}

  /** {@code d}, or {@link #MAX} if it is longer. */
  public static Duration capped(Duration d) {
    return d.compareTo(MAX) > 0 ? MAX : d;
  }
}
