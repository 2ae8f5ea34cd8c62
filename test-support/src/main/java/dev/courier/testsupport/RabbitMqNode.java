package dev.courier.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A private RabbitMQ node on loopback that this JVM starts, stops and starts again (for restart
 * tests, or where no server runs), following ../shared/BROKERS.md: the node's scripts run directly
 * from {@code /usr/lib/rabbitmq/bin} with private ports, directories, epmd and config, so it never
 * touches the machine's own node. Data survives {@link #stop()}/{@link #start()}; {@link #close()}
 * stops the node and deletes its directory. Both calls block until done and fail loudly with the
 * reason (the tail of the node's log) when the node does not come up.
 */
public final class RabbitMqNode implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RabbitMqNode.class);
  private static final Path SCRIPTS = Path.of("/usr/lib/rabbitmq/bin");
  private static final long START_TIMEOUT_SECONDS = 120;

  private final Path dir;
  private final String nodeName;
  private final int amqpPort;
  private final int distPort;
  private final int epmdPort;
  private final int tlsPort;
  private final Path tlsConfig;
  private volatile boolean running;

  private RabbitMqNode(Path dir, Path tlsConfig, int tlsPort) {
    this.dir = dir;
    this.tlsConfig = tlsConfig;
    this.tlsPort = tlsPort;
    this.amqpPort = Ports.free();
    this.distPort = Ports.free();
    this.epmdPort = Ports.free();
    this.nodeName = "courier" + amqpPort + "@localhost";
  }

  /** Starts a new private node with an empty store. */
  public static RabbitMqNode start() {
    return startWith(null);
  }

  /**
   * Starts a new private node whose configuration also includes the lines of {@code extraConfig}
   * (rabbitmq.conf syntax), e.g. a TLS listener; {@code null} for none.
   */
  public static RabbitMqNode startWith(String extraConfig) {
    return start(extraConfig, 0);
  }

  /**
   * Starts a new private node that also has a TLS listener on a free port of 127.0.0.1 (see
   * {@link #tlsPort()}), serving {@code certificate} with {@code key} (PEM files) and the CA
   * {@code caCertificate}; it asks for no client certificate. Blocks until both listeners accept.
   */
  public static RabbitMqNode startWithTls(Path caCertificate, Path certificate, Path key) {
    Objects.requireNonNull(caCertificate, "caCertificate");
    Objects.requireNonNull(certificate, "certificate");
    Objects.requireNonNull(key, "key");
    int tlsPort = Ports.free();
    String config = "listeners.ssl.1 = 127.0.0.1:" + tlsPort + "\n"
        + "ssl_options.cacertfile = " + confPath(caCertificate) + "\n"
        + "ssl_options.certfile = " + confPath(certificate) + "\n"
        + "ssl_options.keyfile = " + confPath(key) + "\n"
        + "ssl_options.verify = verify_none\n"
        + "ssl_options.fail_if_no_peer_cert = false\n";
    return start(config, tlsPort);
  }

  /** An absolute path for rabbitmq.conf, whose values cannot be quoted: no whitespace allowed. */
  private static String confPath(Path file) {
    String s = file.toAbsolutePath().toString();
    if (!Files.isReadable(file)) {
      throw new IllegalArgumentException("TLS file " + s + " does not exist or is not readable");
    }
    if (s.chars().anyMatch(Character::isWhitespace)) {
      throw new IllegalArgumentException("TLS file path must not contain whitespace (rabbitmq.conf cannot quote it): "
          + s);
    }
    return s;
  }

  private static RabbitMqNode start(String extraConfig, int tlsPort) {
    checkInstalled();
    try {
      Path dir = Files.createTempDirectory("courier-rabbitmq-");
      Path extra = null;
      if (extraConfig != null) {
        extra = dir.resolve("extra.conf");
        Files.writeString(extra, extraConfig, StandardCharsets.UTF_8);
      }
      RabbitMqNode node = new RabbitMqNode(dir, extra, tlsPort);
      try {
        node.prepare();
        node.startNode();
      } catch (IOException | RuntimeException e) {
        node.cleanUpAfterFailedStart();
        throw e;
      }
      Runtime.getRuntime().addShutdownHook(new Thread(node::closeQuietly, "courier-rabbitmq-node-stop"));
      return node;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare a private RabbitMQ node", e);
    }
  }

  /** Fails with how to install RabbitMQ when its scripts are missing. */
  static void checkInstalled() {
    if (!Files.isExecutable(SCRIPTS.resolve("rabbitmq-server"))) {
      throw new IllegalStateException("RabbitMQ is not installed (" + SCRIPTS.resolve("rabbitmq-server")
          + " is missing) and no server listens on 127.0.0.1:5672: install it with "
          + "'apt-get install -y rabbitmq-server' (see ../shared/BROKERS.md)");
    }
  }

  public String host() {
    return "127.0.0.1";
  }

  public int port() {
    return amqpPort;
  }

  /**
   * The TLS listener's port on 127.0.0.1, for a node from {@link #startWithTls}; fails for a node
   * without one.
   */
  public int tlsPort() {
    if (tlsPort == 0) {
      throw new IllegalStateException("this node has no TLS listener: start it with RabbitMqNode.startWithTls");
    }
    return tlsPort;
  }

  /** {@code amqp://guest:guest@127.0.0.1:<port>/} (guest may log in over loopback and remotely here). */
  public String uri() {
    return "amqp://guest:guest@127.0.0.1:" + amqpPort + "/";
  }

  /** The directory holding the node's data, logs and config. */
  public Path directory() {
    return dir;
  }

  public boolean isRunning() {
    return running;
  }

  /** Starts the node again (after {@link #stop()}), with its stored messages. Blocks until it accepts clients. */
  public synchronized void restart() {
    if (!running) {
      startNode();
    }
  }

  /**
   * Runs {@code rabbitmqctl <args>} against this node (e.g. {@code set_vm_memory_high_watermark 0}
   * to raise a memory alarm); fails with the command's output unless it succeeds within 60 s.
   */
  public void rabbitmqctl(String... args) {
    List<String> command = new ArrayList<>(List.of(SCRIPTS.resolve("rabbitmqctl").toString(), "-q", "-n", nodeName));
    command.addAll(List.of(args));
    run(command, 60, true);
  }

  /**
   * Stops the node; its data stays. Blocks until its ports are closed. When {@code rabbitmqctl
   * shutdown} fails or the runtime outlives it (seen on a loaded machine), the runtime is stopped
   * with SIGTERM and then SIGKILL; epmd refuses {@code -kill} while a node is registered, so it is
   * asked again until its port closes.
   */
  public synchronized void stop() {
    if (!running) {
      return;
    }
    long t0 = System.nanoTime();
    Optional<ProcessHandle> runtime = runtimeProcess();
    boolean clean = run(List.of(SCRIPTS.resolve("rabbitmqctl").toString(), "-q", "-n", nodeName, "shutdown"), 60,
        false);
    runtime.ifPresent(p -> awaitExit(p, clean));
    waitClosed(amqpPort);
    if (tlsPort != 0) {
      waitClosed(tlsPort);
    }
    killEpmd(); // restarting before the old epmd died made 'rabbitmqctl wait' hang (BROKERS.md)
    running = false;
    log.info("private RabbitMQ node {} stopped in {} ms", nodeName, (System.nanoTime() - t0) / 1_000_000);
  }

  /** The node's Erlang runtime, from the pid file the node writes; empty if it cannot be told. */
  private Optional<ProcessHandle> runtimeProcess() {
    try {
      String pid = Files.readString(dir.resolve("node.pid"), StandardCharsets.UTF_8).trim();
      return ProcessHandle.of(Long.parseLong(pid));
    } catch (IOException | NumberFormatException e) {
      log.debug("no pid for private RabbitMQ node {}: {}", nodeName, e.toString());
      return Optional.empty();
    }
  }

  /** Waits for the runtime to exit: 30 s after a clean shutdown, then SIGTERM, then SIGKILL. */
  private void awaitExit(ProcessHandle runtime, boolean cleanShutdown) {
    if (cleanShutdown && exited(runtime, 30)) {
      return;
    }
    log.warn("private RabbitMQ node {} is still running after 'rabbitmqctl shutdown'; terminating pid {}",
        nodeName, runtime.pid());
    runtime.destroy();
    if (!exited(runtime, 20)) {
      runtime.destroyForcibly();
      if (!exited(runtime, 10)) {
        throw new IllegalStateException("private RabbitMQ node " + nodeName + " (pid " + runtime.pid()
            + ") survived SIGKILL");
      }
    }
  }

  private static boolean exited(ProcessHandle p, long seconds) {
    try {
      p.onExit().get(seconds, TimeUnit.SECONDS);
      return true;
    } catch (java.util.concurrent.TimeoutException e) {
      return false;
    } catch (java.util.concurrent.ExecutionException e) {
      return !p.isAlive();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while stopping a private RabbitMQ node", e);
    }
  }

  private void killEpmd() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (Ports.listening(epmdPort)) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("epmd on port " + epmdPort + " still runs 30 s after stopping the node");
      }
      run(List.of("epmd", "-port", Integer.toString(epmdPort), "-kill"), 15, false);
      sleepBriefly();
    }
  }

  @Override
  public synchronized void close() {
    stop();
    deleteRecursively(dir);
  }

  /** After a failed start: stops whatever did start (node, epmd) and deletes the directory, best effort. */
  private void cleanUpAfterFailedStart() {
    try {
      Optional<ProcessHandle> runtime = runtimeProcess();
      run(List.of(SCRIPTS.resolve("rabbitmqctl").toString(), "-q", "-n", nodeName, "shutdown"), 60, false);
      runtime.ifPresent(ProcessHandle::destroyForcibly);
      run(List.of("epmd", "-port", Integer.toString(epmdPort), "-kill"), 15, false);
    } catch (RuntimeException e) {
      log.warn("could not stop the private RabbitMQ node {} that failed to start: {}", nodeName, e.toString());
    }
    deleteRecursively(dir);
  }

  private void closeQuietly() {
    try {
      close();
    } catch (RuntimeException e) {
      log.warn("could not stop private RabbitMQ node {}: {}", nodeName, e.toString());
    }
  }

  private void prepare() throws IOException {
    Files.createDirectories(dir.resolve("mnesia"));
    Files.createDirectories(dir.resolve("log"));
    Files.writeString(dir.resolve("enabled_plugins"), "[].", StandardCharsets.UTF_8);
    StringBuilder conf = new StringBuilder("loopback_users = none\n");
    if (tlsConfig != null) {
      conf.append(Files.readString(tlsConfig, StandardCharsets.UTF_8)).append('\n');
    }
    Files.writeString(dir.resolve("rabbitmq.conf"), conf.toString(), StandardCharsets.UTF_8);
  }

  private void startNode() {
    long t0 = System.nanoTime();
    run(List.of(SCRIPTS.resolve("rabbitmq-server").toString(), "-detached"), 60, true);
    boolean ok = run(List.of(SCRIPTS.resolve("rabbitmqctl").toString(), "-q", "-n", nodeName, "wait",
        "--timeout", Long.toString(START_TIMEOUT_SECONDS), dir.resolve("node.pid").toString()),
        START_TIMEOUT_SECONDS + 30, false);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (ok && !listening() && System.nanoTime() < deadline) {
      sleepBriefly();
    }
    if (!ok || !listening()) {
      String what = ok && Ports.listening(amqpPort)
          ? "opened no TLS listener on 127.0.0.1:" + tlsPort + " (check the ssl_options files)"
          : "did not start within " + START_TIMEOUT_SECONDS + " s";
      throw new IllegalStateException("private RabbitMQ node " + nodeName + " " + what + "; its log ends with:\n"
          + logTail());
    }
    running = true;
    log.info("private RabbitMQ node {} on 127.0.0.1:{}{} ready in {} ms", nodeName, amqpPort,
        tlsPort == 0 ? "" : " (TLS on " + tlsPort + ")", (System.nanoTime() - t0) / 1_000_000);
  }

  /** Whether the AMQP listener, and the TLS listener if any, accept connections. */
  private boolean listening() {
    return Ports.listening(amqpPort) && (tlsPort == 0 || Ports.listening(tlsPort));
  }

  /** Runs a node script with the node's private environment; true if it exited with 0. */
  private boolean run(List<String> command, long timeoutSeconds, boolean mustSucceed) {
    ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command));
    Map<String, String> env = pb.environment();
    env.put("PATH", SCRIPTS + ":/usr/lib/erlang/bin:" + env.getOrDefault("PATH", "/usr/bin:/bin"));
    env.put("HOME", dir.toString());
    env.put("RABBITMQ_NODENAME", nodeName);
    env.put("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1");
    env.put("RABBITMQ_NODE_PORT", Integer.toString(amqpPort));
    env.put("RABBITMQ_DIST_PORT", Integer.toString(distPort));
    env.put("ERL_EPMD_ADDRESS", "127.0.0.1");
    env.put("ERL_EPMD_PORT", Integer.toString(epmdPort));
    env.put("RABBITMQ_MNESIA_BASE", dir.resolve("mnesia").toString());
    env.put("RABBITMQ_LOG_BASE", dir.resolve("log").toString());
    env.put("RABBITMQ_PID_FILE", dir.resolve("node.pid").toString());
    env.put("RABBITMQ_ENABLED_PLUGINS_FILE", dir.resolve("enabled_plugins").toString());
    env.put("RABBITMQ_CONFIG_FILE", dir.resolve("rabbitmq.conf").toString());
    env.put("RABBITMQ_ADVANCED_CONFIG_FILE", dir.resolve("advanced.config").toString());
    pb.redirectErrorStream(true);
    pb.redirectOutput(dir.resolve("script.log").toFile().exists()
        ? ProcessBuilder.Redirect.appendTo(dir.resolve("script.log").toFile())
        : ProcessBuilder.Redirect.to(dir.resolve("script.log").toFile()));
    try {
      Process p = pb.start();
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        if (mustSucceed) {
          throw new IllegalStateException(command.get(0) + " did not finish within " + timeoutSeconds + " s");
        }
        return false;
      }
      if (p.exitValue() != 0 && mustSucceed) {
        throw new IllegalStateException(String.join(" ", command) + " exited with " + p.exitValue()
            + "; output:\n" + read(dir.resolve("script.log")));
      }
      return p.exitValue() == 0;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + command.get(0), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + command.get(0), e);
    }
  }

  private static void waitClosed(int port) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (Ports.listening(port)) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("port " + port + " is still open 30 s after stopping the node");
      }
      sleepBriefly();
    }
  }

  private static void sleepBriefly() {
    try {
      Thread.sleep(100); // polling a port with a deadline, not synchronization
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private String logTail() {
    StringBuilder sb = new StringBuilder(read(dir.resolve("script.log")));
    try (var files = Files.list(dir.resolve("log"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".log")).toList()) {
        sb.append("\n--- ").append(f.getFileName()).append('\n').append(read(f));
      }
    } catch (IOException e) {
      sb.append("\n(cannot list logs: ").append(e).append(')');
    }
    String s = sb.toString();
    return s.length() <= 4000 ? s : s.substring(s.length() - 4000);
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e + ")";
    }
  }

  private static void deleteRecursively(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (var paths = Files.walk(root)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      log.warn("could not delete {}: {}", root, e.toString());
    }
  }

  @Override
  public String toString() {
    return "RabbitMqNode{" + nodeName + ", 127.0.0.1:" + amqpPort + (tlsPort == 0 ? "" : ", TLS " + tlsPort)
        + (running ? ", running" : ", stopped") + '}';
  }
}
