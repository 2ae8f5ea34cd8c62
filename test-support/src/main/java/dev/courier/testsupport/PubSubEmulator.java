package dev.courier.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Google's Pub/Sub emulator in a child process, from the jar of the machine's
 * {@code google-cloud-cli-pubsub-emulator} package, on a free loopback port, with a project id of
 * its own (the emulator keeps everything in memory, so each run's names are fresh anyway). Ready
 * when its HTTP root answers {@code Ok}; stopped by its process id. A missing jar fails at once,
 * saying where it was looked for.
 *
 * <p>{@link #shared()} is the one emulator of a test run (all test classes of a surefire JVM),
 * started on first use and stopped at JVM exit.
 */
public final class PubSubEmulator implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PubSubEmulator.class);
  /** Where the Debian package installs the emulator; overridable for other layouts. */
  public static final String JAR_DIR_PROPERTY = "courier.pubsub-emulator.dir";
  /**
   * JVM options of the emulator; by default a small heap and quick start for tests. The emulator
   * keeps every message in its heap: a benchmark gives it more ({@code -Xmx1g}).
   */
  public static final String JVM_OPTIONS_PROPERTY = "courier.pubsub-emulator.jvm-options";
  private static final String DEFAULT_JVM_OPTIONS = "-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1";
  private static final Path DEFAULT_DIR = Path.of("/usr/lib/google-cloud-sdk/platform/pubsub-emulator/lib");
  private static final long START_TIMEOUT_MS = 60_000;
  private static volatile PubSubEmulator shared;

  private final Path jar;
  private final Path logFile;
  private final int port;
  private final String projectId;
  private Process process;

  private PubSubEmulator(Path jar, Path logFile, int port, String projectId) {
    this.jar = jar;
    this.logFile = logFile;
    this.port = port;
    this.projectId = projectId;
  }

  /** The emulator shared by this JVM's tests, started on first call and stopped at exit. */
  public static synchronized PubSubEmulator shared() {
    if (shared == null) {
      PubSubEmulator e = start();
      Runtime.getRuntime().addShutdownHook(new Thread(e::close, "pubsub-emulator-shutdown"));
      shared = e;
    }
    return shared;
  }

  /**
   * Starts a new emulator and blocks until it serves; {@link #close()} stops it. A port taken
   * between choosing it and the emulator binding it is tried again with another, twice.
   */
  public static PubSubEmulator start() {
    for (int attempt = 1; ; attempt++) {
      try {
        return startOn(Ports.free());
      } catch (PortTakenException e) {
        if (attempt == 3) {
          throw e;
        }
        log.info("{}; trying another port", e.getMessage());
      }
    }
  }

  /**
   * Starts a new emulator on {@code port}. Fails ({@link IllegalStateException}) if another process
   * holds the port, even one that answers like an emulator: the fixture is ready only when its own
   * process reports listening on the port.
   */
  public static PubSubEmulator startOn(int port) {
    Path jar = findJar();
    Path logFile;
    try {
      logFile = Files.createTempFile("courier-pubsub-emulator-", ".log");
    } catch (IOException e) {
      throw new IllegalStateException("cannot create a log file for the Pub/Sub emulator: " + e.getMessage(), e);
    }
    String project = "courier-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xFFFFFFFFFFL);
    PubSubEmulator e = new PubSubEmulator(jar, logFile, port, project);
    try {
      e.launch();
    } catch (RuntimeException ex) {
      e.close();
      throw ex;
    }
    return e;
  }

  /** The emulator could not bind its port: another process holds it. */
  static final class PortTakenException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    PortTakenException(String message) {
      super(message);
    }
  }

  /** {@code 127.0.0.1:port}: the plaintext gRPC endpoint. */
  public String endpoint() {
    return "127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  /** A project id no other emulator run of this JVM uses. */
  public String projectId() {
    return projectId;
  }

  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  private synchronized void launch() {
    long t0 = System.nanoTime();
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(List.of(System.getProperty(JVM_OPTIONS_PROPERTY, DEFAULT_JVM_OPTIONS).trim().split("\\s+")));
    cmd.addAll(List.of("-jar", jar.toString(), "--host=127.0.0.1", "--port=" + port));
    try {
      process = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the Pub/Sub emulator (" + jar + "): " + e.getMessage(), e);
    }
    long deadline = System.currentTimeMillis() + START_TIMEOUT_MS;
    // Ours only: a port another emulator holds answers the HTTP checks too, and an emulator that
    // failed to bind does not exit (its non-daemon threads keep it alive), so the process must be
    // alive and its own log must say it listens on the port.
    while (!(process.isAlive() && logged("Server started, listening on " + port) && ready())) {
      if (logged("Address already in use")) {
        stop();
        throw new PortTakenException("the Pub/Sub emulator could not bind 127.0.0.1:" + port
            + ": another process holds it");
      }
      if (!process.isAlive()) {
        throw new IllegalStateException("the Pub/Sub emulator exited with status " + process.exitValue()
            + " while starting; its log (" + logFile + ") ends with:\n" + tail());
      }
      if (System.currentTimeMillis() > deadline) {
        stop();
        throw new IllegalStateException("the Pub/Sub emulator did not answer within " + START_TIMEOUT_MS
            + " ms; its log (" + logFile + ") ends with:\n" + tail());
      }
      try {
        Thread.sleep(100); // polling the emulator's readiness, with a deadline
      } catch (InterruptedException e) {
        stop();
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the Pub/Sub emulator", e);
      }
    }
    log.info("Pub/Sub emulator started on {} (pid {}, project {}) in {} ms", endpoint(), process.pid(), projectId,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
  }

  /** Ready when the root answers Ok and the API answers a listing (the first API call warms it up). */
  private boolean ready() {
    return get("/", "Ok") && get("/v1/projects/" + projectId + "/topics", "{");
  }

  private boolean logged(String text) {
    try {
      return Files.readString(logFile, StandardCharsets.UTF_8).contains(text);
    } catch (IOException e) {
      return false;
    }
  }

  private boolean get(String path, String expectedStart) {
    try {
      HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + path).toURL().openConnection();
      c.setConnectTimeout(500);
      c.setReadTimeout(10_000);
      try (InputStream in = c.getInputStream()) {
        return c.getResponseCode() == 200 && new String(in.readAllBytes(), StandardCharsets.UTF_8).startsWith(expectedStart);
      } finally {
        c.disconnect();
      }
    } catch (IOException e) {
      return false;
    }
  }

  /** Stops the emulator by its process id (SIGTERM, then SIGKILL) and waits for it. Idempotent. */
  public synchronized void stop() {
    if (process == null) {
      return;
    }
    Process p = process;
    process = null;
    ProcessHandle.of(p.pid()).ifPresent(ProcessHandle::destroy);
    try {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /** Stops the emulator and deletes its log. */
  @Override
  public synchronized void close() {
    stop();
    try {
      Files.deleteIfExists(logFile);
    } catch (IOException ignored) {
      // best effort: a temp file
    }
  }

  @Override
  public String toString() {
    return "PubSubEmulator{" + endpoint() + ", project=" + projectId + (isRunning() ? ", running" : "") + '}';
  }

  private static Path findJar() {
    String override = System.getProperty(JAR_DIR_PROPERTY);
    Path dir = override == null ? DEFAULT_DIR : Path.of(override);
    if (Files.isDirectory(dir)) {
      try (DirectoryStream<Path> jars = Files.newDirectoryStream(dir, "cloud-pubsub-emulator-*-all.jar")) {
        for (Path p : jars) {
          return p;
        }
      } catch (IOException e) {
        throw new IllegalStateException("cannot list " + dir + " for the Pub/Sub emulator jar: " + e.getMessage(), e);
      }
    }
    throw new IllegalStateException("the Pub/Sub emulator jar (cloud-pubsub-emulator-*-all.jar) is missing from "
        + dir + ": install the Debian package google-cloud-cli-pubsub-emulator, or point -D" + JAR_DIR_PROPERTY
        + " at the directory holding the jar");
  }

  private String tail() {
    try {
      List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(log unreadable: " + e.getMessage() + ")";
    }
  }
}
