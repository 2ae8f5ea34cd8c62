package dev.courier.micrometer;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Bounds the distinct values of one tag (topics, groups): the first {@code max} values seen are
 * kept, every later one is reported as {@link #OTHER}, so a service that makes topics per tenant
 * cannot grow the registry without bound. Thread-safe; a value may slip past the bound by the
 * number of threads racing for the last place.
 */
final class TagValueGuard {
  /** The value reported once the bound is reached. */
  static final String OTHER = "_other";

  private final int max;
  private final Set<String> kept = ConcurrentHashMap.newKeySet();

  TagValueGuard(int max) {
    this.max = max;
  }

  String value(String v) {
    if (kept.contains(v)) {
      return v;
    }
    if (kept.size() >= max) {
      return OTHER;
    }
    kept.add(v);
    return v;
  }
}
