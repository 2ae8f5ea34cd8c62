package dev.courier.idempotency;

import static dev.courier.idempotency.IdempotencyStore.Claim.ACQUIRED;
import static dev.courier.idempotency.IdempotencyStore.Claim.DONE;
import static dev.courier.idempotency.IdempotencyStore.Claim.IN_PROGRESS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Against the real PostgreSQL on 127.0.0.1:5432 (database test, user postgres, trust auth). */
@DisplayName("The PostgreSQL idempotency store")
class JdbcIdempotencyStoreTest {
  static final String URL = System.getProperty("courier.test.postgres.url", "jdbc:postgresql://127.0.0.1:5432/test");
  private static final String TABLE = "courier_idem_test_" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 4);
  private static final Duration LEASE = Duration.ofSeconds(30);

  private static JdbcIdempotencyStore storeA;
  private static JdbcIdempotencyStore storeB;

  static Properties credentials() {
    Properties p = new Properties();
    p.setProperty("user", "postgres");
    return p;
  }

  @BeforeAll
  static void stores() {
    // Two store instances, as two consumer processes would have: each opens its own connections.
    storeA = JdbcIdempotencyStore.builder(URL, credentials()).table(TABLE).build();
    storeB = JdbcIdempotencyStore.builder(URL, credentials()).table(TABLE).build();
  }

  @AfterAll
  static void dropTable() throws Exception {
    try (Connection c = DriverManager.getConnection(URL, credentials()); Statement s = c.createStatement()) {
      s.execute("DROP TABLE IF EXISTS " + TABLE);
    }
  }

  private static String key() {
    return "k-" + System.nanoTime();
  }

  @Test
  @DisplayName("creates its table on first use and follows claim → IN_PROGRESS → done → DONE")
  void lifecycle() {
    String k = key();
    assertEquals(ACQUIRED, storeA.tryClaim("orders/billing", k, "a", LEASE));
    assertEquals(IN_PROGRESS, storeB.tryClaim("orders/billing", k, "b", LEASE));
    assertEquals(ACQUIRED, storeB.tryClaim("orders/shipping", k, "b", LEASE), "scopes are independent");
    storeA.markDone("orders/billing", k, Duration.ofHours(1));
    assertEquals(DONE, storeB.tryClaim("orders/billing", k, "b", LEASE));
    storeB.release("orders/billing", k, "b");
    assertEquals(DONE, storeA.tryClaim("orders/billing", k, "a", LEASE), "release never drops a done mark");
  }

  @Test
  @DisplayName("frees a released claim at once and lets another consumer take over an expired one")
  void releaseAndTakeover() throws Exception {
    String k = key();
    assertEquals(ACQUIRED, storeA.tryClaim("s", k, "a", LEASE));
    storeA.release("s", k, "a");
    assertEquals(ACQUIRED, storeB.tryClaim("s", k, "b", Duration.ofSeconds(2)));
    assertEquals(IN_PROGRESS, storeA.tryClaim("s", k, "a", LEASE));
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    IdempotencyStore.Claim claim;
    do {
      assertTrue(System.nanoTime() < deadline, "the expired claim was never taken over");
      Thread.sleep(50); // polling the database clock until the 2 s lease has passed
      claim = storeA.tryClaim("s", k, "a", LEASE);
    } while (claim != ACQUIRED);
    assertEquals(IN_PROGRESS, storeB.tryClaim("s", k, "b", LEASE), "the takeover is a fresh claim");
  }

  @Test
  @DisplayName("a consumer whose lease expired and was taken over cannot release the new owner's claim")
  void staleOwnerCannotRelease() throws Exception {
    String k = key();
    assertEquals(ACQUIRED, storeA.tryClaim("s", k, "a", Duration.ofMillis(100)));
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (storeB.tryClaim("s", k, "b", LEASE) != ACQUIRED) {
      assertTrue(System.nanoTime() < deadline, "the expired claim was never taken over");
      Thread.sleep(25); // polling the database clock until the 100 ms lease has passed
    }
    storeA.release("s", k, "a"); // the stale owner finishes late and releases: must be a no-op
    assertEquals(IN_PROGRESS, storeA.tryClaim("s", k, "a2", LEASE), "the new owner's claim survived");
    storeB.release("s", k, "b");
    assertEquals(ACQUIRED, storeA.tryClaim("s", k, "a3", LEASE), "the owner's own release frees the key");
  }

  @Test
  @DisplayName("grants a key to exactly one of two consumers racing on separate connections, every round")
  void twoConsumersRace() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      for (int round = 0; round < 40; round++) {
        String k = key() + "-" + round;
        CyclicBarrier start = new CyclicBarrier(4);
        List<Future<IdempotencyStore.Claim>> claims = new ArrayList<>();
        for (JdbcIdempotencyStore store : List.of(storeA, storeB, storeA, storeB)) {
          claims.add(pool.submit(() -> {
            start.await();
            return store.tryClaim("race", k, Thread.currentThread().getName(), LEASE);
          }));
        }
        int acquired = 0;
        for (Future<IdempotencyStore.Claim> f : claims) {
          IdempotencyStore.Claim c = f.get();
          assertTrue(c == ACQUIRED || c == IN_PROGRESS, "round " + round + ": " + c);
          acquired += c == ACQUIRED ? 1 : 0;
        }
        assertEquals(1, acquired, "round " + round + ": exactly one consumer must own the key");
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  @DisplayName("adds the owner column to a table created before claims had owners, keeping its rows")
  void upgradesOldTable() throws Exception {
    String old = TABLE + "_old";
    try (Connection c = DriverManager.getConnection(URL, credentials()); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE " + old + " (scope text NOT NULL, key text NOT NULL, state char(1) NOT NULL,"
          + " expires_at timestamptz NOT NULL, PRIMARY KEY (scope, key))");
      s.execute("INSERT INTO " + old + " VALUES ('s', 'handled', 'D', now() + interval '1 hour')");
    }
    try {
      JdbcIdempotencyStore store = JdbcIdempotencyStore.builder(URL, credentials()).table(old).build();
      assertEquals(DONE, store.tryClaim("s", "handled", "a", LEASE), "an existing done mark is kept");
      assertEquals(ACQUIRED, store.tryClaim("s", "new", "a", LEASE));
      store.release("s", "new", "a");
      assertEquals(ACQUIRED, store.tryClaim("s", "new", "b", LEASE));
    } finally {
      try (Connection c = DriverManager.getConnection(URL, credentials()); Statement s = c.createStatement()) {
        s.execute("DROP TABLE IF EXISTS " + old);
      }
    }
  }

  @Test
  @DisplayName("a new store on an existing table runs no DDL: a long reader (a pg_dump) holding the table does not block its claims")
  void noDdlOnExistingTable() throws Exception {
    storeA.tryClaim("s", key(), "a", LEASE); // the table exists
    try (Connection dump = DriverManager.getConnection(URL, credentials()); Statement s = dump.createStatement()) {
      dump.setAutoCommit(false);
      s.execute("LOCK TABLE " + TABLE + " IN ACCESS SHARE MODE"); // what pg_dump holds
      JdbcIdempotencyStore fresh = JdbcIdempotencyStore.builder(URL, credentials()).table(TABLE).build();
      ExecutorService pool = Executors.newSingleThreadExecutor();
      try {
        Future<IdempotencyStore.Claim> claim = pool.submit(() -> fresh.tryClaim("s", key(), "c", LEASE));
        assertEquals(ACQUIRED, claim.get(10, java.util.concurrent.TimeUnit.SECONDS),
            "the claim waited for the reader's lock (an ALTER TABLE on start-up?)");
      } finally {
        pool.shutdownNow();
        dump.rollback();
      }
    }
  }

  @Test
  @DisplayName("deletes expired rows and keeps live ones")
  void cleanup() throws Exception {
    String expired = key();
    String live = key() + "-live";
    storeA.tryClaim("cleanup", expired, "a", Duration.ofMillis(1));
    storeA.markDone("cleanup", live, Duration.ofHours(1));
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (rows("cleanup", expired) > 0) {
      assertTrue(System.nanoTime() < deadline, "expired row never purged");
      storeB.purgeExpired();
      Thread.sleep(10); // the 1 ms lease must pass on the database clock
    }
    assertEquals(1, rows("cleanup", live));
  }

  @Test
  @DisplayName("rejects unsafe table names and bad durations, naming the parameter; never prints the URL")
  void validation() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> JdbcIdempotencyStore.builder(URL, credentials()).table("x; DROP TABLE y"));
    assertTrue(e.getMessage().contains("table"));
    assertThrows(IllegalArgumentException.class, () -> storeA.tryClaim("s", "k", "a", Duration.ZERO));
    assertThrows(NullPointerException.class, () -> storeA.tryClaim("s", null, "a", LEASE));
    assertThrows(NullPointerException.class, () -> storeA.tryClaim("s", "k", null, LEASE));
    Properties secret = credentials();
    secret.setProperty("password", "hunter2");
    String printed = JdbcIdempotencyStore.builder("jdbc:postgresql://127.0.0.1/test?password=hunter2", secret)
        .build().toString();
    assertFalse(printed.contains("hunter2"), printed);
  }

  @Test
  @DisplayName("reports an unreachable database as IdempotencyStoreException")
  void unreachable() {
    JdbcIdempotencyStore broken = JdbcIdempotencyStore.builder("jdbc:postgresql://127.0.0.1:1/test", credentials())
        .table(TABLE).build();
    assertThrows(IdempotencyStoreException.class, () -> broken.tryClaim("s", "k", "a", LEASE));
  }

  private static int rows(String scope, String k) throws Exception {
    try (Connection c = DriverManager.getConnection(URL, credentials()); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM " + TABLE + " WHERE scope = '" + scope
            + "' AND key = '" + k + "'")) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
