package dev.courier.idempotency;

import static dev.courier.idempotency.IdempotencyStore.Claim.ACQUIRED;
import static dev.courier.idempotency.IdempotencyStore.Claim.DONE;
import static dev.courier.idempotency.IdempotencyStore.Claim.IN_PROGRESS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The in-memory idempotency store")
class InMemoryIdempotencyStoreTest {
  /** A clock the test moves by hand. */
  static final class ManualClock extends Clock {
    private volatile Instant now = Instant.parse("2026-01-01T00:00:00Z");

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  private static final Duration LEASE = Duration.ofSeconds(30);

  @Test
  @DisplayName("follows claim → done: a second claim sees IN_PROGRESS, then DONE, until retention ends")
  void lifecycle() {
    ManualClock clock = new ManualClock();
    InMemoryIdempotencyStore store = InMemoryIdempotencyStore.builder().clock(clock).build();
    assertEquals(ACQUIRED, store.tryClaim("t/g", "k", "o", LEASE));
    assertEquals(IN_PROGRESS, store.tryClaim("t/g", "k", "o", LEASE));
    assertEquals(ACQUIRED, store.tryClaim("t/other", "k", "o", LEASE), "scopes are independent");
    store.markDone("t/g", "k", Duration.ofHours(1));
    assertEquals(DONE, store.tryClaim("t/g", "k", "o", LEASE));
    clock.advance(Duration.ofMinutes(59));
    assertEquals(DONE, store.tryClaim("t/g", "k", "o", LEASE));
    clock.advance(Duration.ofMinutes(2));
    assertEquals(ACQUIRED, store.tryClaim("t/g", "k", "o", LEASE), "retention over: the key is new again");
  }

  @Test
  @DisplayName("lets another consumer take over a claim whose lease expired, and release frees a claim at once")
  void leaseAndRelease() {
    ManualClock clock = new ManualClock();
    InMemoryIdempotencyStore store = InMemoryIdempotencyStore.builder().clock(clock).build();
    assertEquals(ACQUIRED, store.tryClaim("s", "k", "o", LEASE));
    clock.advance(LEASE.minusSeconds(1));
    assertEquals(IN_PROGRESS, store.tryClaim("s", "k", "o", LEASE));
    clock.advance(Duration.ofSeconds(1));
    assertEquals(ACQUIRED, store.tryClaim("s", "k", "o", LEASE));
    store.release("s", "k", "o");
    assertEquals(ACQUIRED, store.tryClaim("s", "k", "o", LEASE));
    store.markDone("s", "k", LEASE);
    store.release("s", "k", "o");
    assertEquals(DONE, store.tryClaim("s", "k", "o", LEASE), "release never drops a done mark");
  }

  @Test
  @DisplayName("a consumer whose lease expired and was taken over cannot release the new owner's claim")
  void staleOwnerCannotRelease() {
    ManualClock clock = new ManualClock();
    InMemoryIdempotencyStore store = InMemoryIdempotencyStore.builder().clock(clock).build();
    assertEquals(ACQUIRED, store.tryClaim("s", "k", "old", LEASE));
    clock.advance(LEASE);
    assertEquals(ACQUIRED, store.tryClaim("s", "k", "new", LEASE), "the expired claim is taken over");
    store.release("s", "k", "old");
    assertEquals(IN_PROGRESS, store.tryClaim("s", "k", "third", LEASE), "the new owner's claim survived");
    store.release("s", "k", "new");
    assertEquals(ACQUIRED, store.tryClaim("s", "k", "third", LEASE), "the owner's own release frees the key");
    assertThrows(NullPointerException.class, () -> store.tryClaim("s", "k", null, LEASE));
  }

  @Test
  @DisplayName("stays within its bound, dropping the oldest keys first")
  void bounded() {
    InMemoryIdempotencyStore store = InMemoryIdempotencyStore.builder().maxEntries(3).build();
    for (String k : List.of("a", "b", "c", "d")) {
      store.tryClaim("s", k, "o", LEASE);
      store.markDone("s", k, Duration.ofHours(1));
    }
    assertEquals(3, store.size());
    assertEquals(ACQUIRED, store.tryClaim("s", "a", "o", LEASE), "the oldest key was evicted");
    assertEquals(DONE, store.tryClaim("s", "d", "o", LEASE));
    assertThrows(IllegalArgumentException.class, () -> InMemoryIdempotencyStore.builder().maxEntries(0));
    assertThrows(IllegalArgumentException.class, () -> store.tryClaim("s", "x", "o", Duration.ZERO));
  }

  @Test
  @DisplayName("grants a key to exactly one of many threads racing for it")
  void race() throws Exception {
    InMemoryIdempotencyStore store = InMemoryIdempotencyStore.create();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      for (int round = 0; round < 50; round++) {
        String key = "k" + round;
        CountDownLatch go = new CountDownLatch(1);
        List<Future<IdempotencyStore.Claim>> results = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
          Callable<IdempotencyStore.Claim> c = () -> {
            go.await();
            return store.tryClaim("s", key, "o", LEASE);
          };
          results.add(pool.submit(c));
        }
        go.countDown();
        int acquired = 0;
        for (Future<IdempotencyStore.Claim> f : results) {
          acquired += f.get() == ACQUIRED ? 1 : 0;
        }
        assertEquals(1, acquired, "round " + round);
      }
    } finally {
      pool.shutdownNow();
    }
    assertTrue(store.size() >= 50);
  }
}
