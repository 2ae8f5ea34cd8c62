package dev.courier.idempotency;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * An {@link IdempotencyStore} in a PostgreSQL table, shared by every consumer of a group across
 * processes. The table (default {@code courier_idempotency}) is created on first use.
 *
 * <p>A claim is one {@code INSERT ... ON CONFLICT DO UPDATE ... WHERE expires_at <= now()}: the
 * database decides atomically whether the key is new (or its claim expired and is taken over) or
 * held by someone else, so two consumers racing on a key can never both acquire it. Expiry uses
 * the database's clock, not the consumers'. Expired rows are deleted in batches at most once per
 * {@link Builder#cleanupInterval} by whichever caller comes first, and by {@link #purgeExpired()}.
 *
 * <p>Each operation borrows a connection from the {@link DataSource} (use a pool) in auto-commit
 * mode. Failures surface as {@link IdempotencyStoreException}. Thread-safe.
 */
public final class JdbcIdempotencyStore implements IdempotencyStore {
  private static final Pattern TABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}(\\.[A-Za-z_][A-Za-z0-9_]{0,62})?");
  private static final char DONE = 'D';
  private static final char CLAIMED = 'C';

  private final DataSource dataSource;
  private final String table;
  private final long cleanupIntervalNanos;
  private final int cleanupBatch;
  private final AtomicLong nextCleanup = new AtomicLong(System.nanoTime());
  private final String claimSql;
  private final String doneSql;
  private final String releaseSql;
  private final String purgeSql;
  private volatile boolean tableReady;

  private JdbcIdempotencyStore(Builder b) {
    this.dataSource = b.dataSource;
    this.table = b.table;
    this.cleanupIntervalNanos = b.cleanupInterval.toNanos();
    this.cleanupBatch = b.cleanupBatch;
    this.claimSql = "WITH claimed AS ("
        + " INSERT INTO " + table + " AS t (scope, key, state, owner, expires_at)"
        + " VALUES (?, ?, '" + CLAIMED + "', ?, now() + ? * interval '1 millisecond')"
        + " ON CONFLICT (scope, key) DO UPDATE"
        + " SET state = '" + CLAIMED + "', owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at"
        + " WHERE t.expires_at <= now()"
        + " RETURNING 'A'::text AS outcome)"
        + " SELECT outcome FROM claimed"
        + " UNION ALL SELECT state::text FROM " + table
        + " WHERE scope = ? AND key = ? AND NOT EXISTS (SELECT 1 FROM claimed)";
    this.doneSql = "INSERT INTO " + table + " AS t (scope, key, state, expires_at)"
        + " VALUES (?, ?, '" + DONE + "', now() + ? * interval '1 millisecond')"
        + " ON CONFLICT (scope, key) DO UPDATE SET state = '" + DONE + "', owner = NULL,"
        + " expires_at = EXCLUDED.expires_at";
    this.releaseSql = "DELETE FROM " + table + " WHERE scope = ? AND key = ? AND state = '" + CLAIMED + "'"
        + " AND owner = ?";
    this.purgeSql = "DELETE FROM " + table + " WHERE ctid IN (SELECT ctid FROM " + table
        + " WHERE expires_at <= now() LIMIT " + cleanupBatch + ")";
  }

  /** A store that borrows connections from {@code dataSource}. */
  public static Builder builder(DataSource dataSource) {
    return new Builder(Objects.requireNonNull(dataSource, "dataSource"));
  }

  /**
   * A store that opens a connection per operation through {@link DriverManager}: simple, but use
   * {@link #builder(DataSource)} with a pool in production. The URL may carry user and password;
   * it is never printed.
   */
  public static Builder builder(String jdbcUrl, Properties connectionProperties) {
    Objects.requireNonNull(jdbcUrl, "jdbcUrl");
    Properties props = new Properties();
    props.putAll(Objects.requireNonNull(connectionProperties, "connectionProperties"));
    if (!jdbcUrl.startsWith("jdbc:")) {
      throw new IllegalArgumentException("jdbcUrl must start with 'jdbc:'");
    }
    return new Builder(new DriverManagerDataSource(jdbcUrl, props));
  }

  public String table() {
    return table;
  }

  @Override
  public Claim tryClaim(String scope, String key, String owner, Duration lease) {
    check(scope, key);
    Objects.requireNonNull(owner, "owner");
    long leaseMillis = millis(lease, "lease");
    maybeCleanup();
    try (Connection c = connection(); PreparedStatement ps = c.prepareStatement(claimSql)) {
      ps.setString(1, scope);
      ps.setString(2, key);
      ps.setString(3, owner);
      ps.setLong(4, leaseMillis);
      ps.setString(5, scope);
      ps.setString(6, key);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          // Held by a claim committed after this statement's snapshot: someone else has it.
          return Claim.IN_PROGRESS;
        }
        String outcome = rs.getString(1);
        return switch (outcome.charAt(0)) {
          case 'A' -> Claim.ACQUIRED;
          case DONE -> Claim.DONE;
          default -> Claim.IN_PROGRESS;
        };
      }
    } catch (SQLException e) {
      throw failure("claim a key", e);
    }
  }

  @Override
  public void markDone(String scope, String key, Duration retention) {
    check(scope, key);
    long retentionMillis = millis(retention, "retention");
    update(doneSql, "mark a key done", ps -> {
      ps.setString(1, scope);
      ps.setString(2, key);
      ps.setLong(3, retentionMillis);
    });
  }

  /** Deletes the key's claim if it is still {@code owner}'s claim (never a done mark). */
  @Override
  public void release(String scope, String key, String owner) {
    check(scope, key);
    Objects.requireNonNull(owner, "owner");
    update(releaseSql, "release a key", ps -> {
      ps.setString(1, scope);
      ps.setString(2, key);
      ps.setString(3, owner);
    });
  }

  /** Deletes every expired row now; returns how many. */
  public int purgeExpired() {
    ensureTable();
    int total = 0;
    try (Connection c = connection(); Statement s = c.createStatement()) {
      int n;
      do {
        n = s.executeUpdate(purgeSql);
        total += n;
      } while (n == cleanupBatch);
      return total;
    } catch (SQLException e) {
      throw failure("delete expired keys", e);
    }
  }

  private void maybeCleanup() {
    long due = nextCleanup.get();
    if (System.nanoTime() - due >= 0 && nextCleanup.compareAndSet(due, System.nanoTime() + cleanupIntervalNanos)) {
      update(purgeSql, "delete expired keys", ps -> { });
    }
  }

  private interface Binder {
    void bind(PreparedStatement ps) throws SQLException;
  }

  private void update(String sql, String what, Binder binder) {
    try (Connection c = connection(); PreparedStatement ps = c.prepareStatement(sql)) {
      binder.bind(ps);
      ps.executeUpdate();
    } catch (SQLException e) {
      throw failure(what, e);
    }
  }

  private Connection connection() throws SQLException {
    ensureTable();
    Connection c = dataSource.getConnection();
    try {
      if (!c.getAutoCommit()) {
        c.setAutoCommit(true);
      }
      return c;
    } catch (SQLException | RuntimeException e) {
      try {
        c.close(); // a dead pooled connection must still go back to its pool
      } catch (SQLException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  private void ensureTable() {
    if (tableReady) {
      return;
    }
    synchronized (this) {
      if (tableReady) {
        return;
      }
      try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
        c.setAutoCommit(true);
        // DDL only where something is missing: ALTER TABLE takes an exclusive lock even when
        // the column exists, and would queue every claim behind a long reader (a pg_dump, say).
        if (!exists(c, "SELECT to_regclass(?) IS NOT NULL", table)) {
          createIgnoringRace(s, "CREATE TABLE IF NOT EXISTS " + table + " ("
              + "scope text NOT NULL, key text NOT NULL, state char(1) NOT NULL, owner text, "
              + "expires_at timestamptz NOT NULL, PRIMARY KEY (scope, key))");
        }
        if (!exists(c, "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(?)"
            + " AND attname = 'owner' AND NOT attisdropped)", table)) {
          // A table created before claims had owners.
          createIgnoringRace(s, "ALTER TABLE " + table + " ADD COLUMN IF NOT EXISTS owner text");
        }
        int dot = table.indexOf('.');
        String index = table.replace('.', '_') + "_expires";
        if (!exists(c, "SELECT to_regclass(?) IS NOT NULL", dot < 0 ? index : table.substring(0, dot + 1) + index)) {
          createIgnoringRace(s, "CREATE INDEX IF NOT EXISTS " + index + " ON " + table + " (expires_at)");
        }
        tableReady = true;
      } catch (SQLException e) {
        throw failure("create table " + table, e);
      }
    }
  }

  private static boolean exists(Connection c, String query, String name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(query)) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    }
  }

  /** Two processes creating or altering the table at once: PostgreSQL may report the loser as a duplicate. */
  private static void createIgnoringRace(Statement s, String ddl) throws SQLException {
    try {
      s.execute(ddl);
    } catch (SQLException e) {
      String state = e.getSQLState();
      if (!"23505".equals(state) && !"42P07".equals(state) && !"42701".equals(state)) {
        throw e;
      }
    }
  }

  private IdempotencyStoreException failure(String what, SQLException e) {
    return new IdempotencyStoreException("could not " + what + " in idempotency table " + table
        + " (SQLState " + e.getSQLState() + "): " + e.getMessage(), e);
  }

  private static void check(String scope, String key) {
    Objects.requireNonNull(scope, "scope");
    Objects.requireNonNull(key, "key");
  }

  private static long millis(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, was " + d);
    }
    return Math.max(1, d.toMillis());
  }

  @Override
  public String toString() {
    return "JdbcIdempotencyStore{table=" + table + '}';
  }

  /** Validating builder. */
  public static final class Builder {
    private final DataSource dataSource;
    private String table = "courier_idempotency";
    private Duration cleanupInterval = Duration.ofMinutes(1);
    private int cleanupBatch = 1000;

    private Builder(DataSource dataSource) {
      this.dataSource = dataSource;
    }

    /** Table name, optionally schema-qualified; letters, digits and '_'. Default {@code courier_idempotency}. */
    public Builder table(String table) {
      Objects.requireNonNull(table, "table");
      if (!TABLE.matcher(table).matches()) {
        throw new IllegalArgumentException("table must be an unquoted SQL identifier (optionally schema.table) "
            + "of letters, digits and '_', at most 63 characters each, was '" + table.replaceAll("\\p{Cntrl}", "?") + "'");
      }
      this.table = table;
      return this;
    }

    /** How often a caller deletes expired rows on the side; default 1 minute. */
    public Builder cleanupInterval(Duration interval) {
      Objects.requireNonNull(interval, "cleanupInterval");
      if (interval.isNegative() || interval.isZero()) {
        throw new IllegalArgumentException("cleanupInterval must be positive, was " + interval);
      }
      this.cleanupInterval = interval;
      return this;
    }

    /** Most rows one cleanup statement deletes; default 1000. */
    public Builder cleanupBatch(int rows) {
      if (rows < 1) {
        throw new IllegalArgumentException("cleanupBatch must be at least 1, was " + rows);
      }
      this.cleanupBatch = rows;
      return this;
    }

    public JdbcIdempotencyStore build() {
      return new JdbcIdempotencyStore(this);
    }
  }
}
