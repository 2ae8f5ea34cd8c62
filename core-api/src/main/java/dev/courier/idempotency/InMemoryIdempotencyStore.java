package dev.courier.idempotency;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * An {@link IdempotencyStore} in this JVM's memory: for a single consumer process, tests and the
 * in-memory adapter. Claims and handled keys expire after their lease or retention. The store is
 * bounded: when full, expired entries are dropped first, then the oldest ones, so a duplicate
 * arriving after more than {@link Builder#maxEntries} newer keys may be handled again. Thread-safe
 * (one lock); nothing is shared between processes.
 */
public final class InMemoryIdempotencyStore implements IdempotencyStore {
  private static final Duration SWEEP_INTERVAL = Duration.ofSeconds(1);

  private final int maxEntries;
  private final Clock clock;
  private final Map<String, Entry> entries = new LinkedHashMap<>(); // guarded by this
  private Instant lastSweep = Instant.MIN; // guarded by this

  private record Entry(boolean done, String owner, Instant expiresAt) {}

  private InMemoryIdempotencyStore(Builder b) {
    this.maxEntries = b.maxEntries;
    this.clock = b.clock;
  }

  /** At most 100 000 keys, system clock. */
  public static InMemoryIdempotencyStore create() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public synchronized Claim tryClaim(String scope, String key, String owner, Duration lease) {
    String id = id(scope, key);
    Objects.requireNonNull(owner, "owner");
    positive(lease, "lease");
    Instant now = clock.instant();
    Entry e = entries.get(id);
    if (e != null && e.expiresAt.isAfter(now)) {
      return e.done ? Claim.DONE : Claim.IN_PROGRESS;
    }
    put(id, new Entry(false, owner, now.plus(lease)), now);
    return Claim.ACQUIRED;
  }

  @Override
  public synchronized void markDone(String scope, String key, Duration retention) {
    String id = id(scope, key);
    positive(retention, "retention");
    Instant now = clock.instant();
    put(id, new Entry(true, null, now.plus(retention)), now);
  }

  @Override
  public synchronized void release(String scope, String key, String owner) {
    String id = id(scope, key);
    Objects.requireNonNull(owner, "owner");
    Entry e = entries.get(id);
    if (e != null && !e.done && owner.equals(e.owner)) {
      entries.remove(id);
    }
  }

  /** Keys currently remembered, expired ones not yet dropped included. */
  public synchronized int size() {
    return entries.size();
  }

  private void put(String id, Entry entry, Instant now) {
    entries.remove(id); // re-insert at the end: the map's order is "last written"
    entries.put(id, entry);
    if (entries.size() > maxEntries) {
      if (Duration.between(lastSweep, now).compareTo(SWEEP_INTERVAL) >= 0) { // a full scan, so not on every put
        lastSweep = now;
        entries.values().removeIf(e -> !e.expiresAt.isAfter(now));
      }
      Iterator<Map.Entry<String, Entry>> oldest = entries.entrySet().iterator();
      while (entries.size() > maxEntries && oldest.hasNext()) {
        oldest.next();
        oldest.remove();
      }
    }
  }

  private static String id(String scope, String key) {
    Objects.requireNonNull(scope, "scope");
    Objects.requireNonNull(key, "key");
    return scope.length() + ":" + scope + key;
  }

  private static void positive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, was " + d);
    }
  }

  @Override
  public String toString() {
    return "InMemoryIdempotencyStore{maxEntries=" + maxEntries + '}';
  }

  /** Validating builder. */
  public static final class Builder {
    private int maxEntries = 100_000;
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /** Most keys remembered; at least 1. */
    public Builder maxEntries(int maxEntries) {
      if (maxEntries < 1) {
        throw new IllegalArgumentException("maxEntries must be at least 1, was " + maxEntries);
      }
      this.maxEntries = maxEntries;
      return this;
    }

    /** The clock that decides expiry; for tests. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public InMemoryIdempotencyStore build() {
      return new InMemoryIdempotencyStore(this);
    }
  }
}
