package dev.courier.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A private RabbitMQ node on loopback that this JVM starts, stops and starts again (for restart
 * tests, or where no server runs), following ../shared/BROKERS.md: the node's scripts run directly
 * from {@code /usr/lib/rabbitmq/bin} with private ports, directories, epmd and config, so it never
 * touches the machine's own node. Data survives {@link #stop()}/{@link #start()}; {@link #close()}
 * stops the node and deletes its directory. Both calls block until done and fail loudly with the
 * reason when the node does not come up: what {@code rabbitmqctl wait} said, the node's console
 * output and what its log gained during that start.
 */
public final class RabbitMqNode implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RabbitMqNode.class);
  private static final Path SCRIPTS = Path.of("/usr/lib/rabbitmq/bin");
  private static final long START_TIMEOUT_SECONDS = 120;
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

  private final Path dir;
  private final String nodeName;
  private final int amqpPort;
  private final int distPort;
  private final int epmdPort;
  private final int tlsPort;
  /** The node's ports, held by this JVM while the node is stopped ({@link #reservePorts()}). */
  private Ports.Held reserved = Ports.Held.NONE;
  private final Path tlsConfig;
  private volatile boolean running;
  /** The {@code rabbitmq-server} script of the latest boot, a child of this JVM; null before the first. */
  private Process server;
  private int boots;

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
        deleteRecursively(dir); // a failed start has already stopped whatever it started
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
    List<String> command = ctl(args);
    Result r = run(command, 60);
    if (!r.succeeded()) {
      throw new IllegalStateException(String.join(" ", command) + " exited with " + r.exitCode() + "; output:\n"
          + r.output());
    }
  }

  /**
   * Stops the node; its data stays. Blocks until the node's runtime has exited and its ports are
   * closed, epmd's included, so that a following {@link #restart()} finds nothing of it: a
   * runtime that outlives {@code rabbitmqctl shutdown} (seen on a loaded machine) gets SIGTERM,
   * then SIGKILL; epmd refuses {@code -kill} while a node is registered, so it is asked again
   * until its port closes.
   */
  public synchronized void stop() {
    if (!running) {
      return;
    }
    long t0 = System.nanoTime();
    List<ProcessHandle> runtime = runtimeProcesses();
    boolean clean = run(ctl("shutdown"), 60).succeeded();
    awaitExit(runtime, clean);
    awaitPortsClosed();
    killEpmd();
    deletePidFile();
    reservePorts();
    running = false;
    log.info("private RabbitMQ node {} stopped in {} ms", nodeName, (System.nanoTime() - t0) / 1_000_000);
  }

  /**
   * The processes of the node's runtime: the {@code rabbitmq-server} script this JVM started, its
   * descendants (the Erlang VM among them), and the pid the node wrote, if still alive.
   */
  private List<ProcessHandle> runtimeProcesses() {
    List<ProcessHandle> all = new ArrayList<>();
    if (server != null) {
      all.add(server.toHandle());
      server.descendants().forEach(all::add);
    }
    try {
      String pid = Files.readString(pidFile(), StandardCharsets.UTF_8).trim();
      ProcessHandle.of(Long.parseLong(pid)).filter(p -> !all.contains(p)).ifPresent(all::add);
    } catch (IOException | NumberFormatException e) {
      log.debug("no pid file for private RabbitMQ node {}: {}", nodeName, e.toString());
    }
    return all;
  }

  /** Waits for {@code runtime} to exit: 30 s after a clean shutdown, then SIGTERM, then SIGKILL. */
  private void awaitExit(List<ProcessHandle> runtime, boolean cleanShutdown) {
    BooleanSupplier gone = () -> runtime.stream().noneMatch(ProcessHandle::isAlive);
    if (Poll.until(cleanShutdown ? STOP_TIMEOUT : Duration.ZERO, gone)) {
      return;
    }
    List<Long> pids = runtime.stream().filter(ProcessHandle::isAlive).map(ProcessHandle::pid).toList();
    log.warn("private RabbitMQ node {} still runs ({}); terminating pids {}", nodeName,
        cleanShutdown ? "30 s after 'rabbitmqctl shutdown'" : "'rabbitmqctl shutdown' failed", pids);
    runtime.forEach(ProcessHandle::destroy);
    if (Poll.until(Duration.ofSeconds(20), gone)) {
      return;
    }
    runtime.forEach(ProcessHandle::destroyForcibly);
    if (!Poll.until(Duration.ofSeconds(10), gone)) {
      throw new IllegalStateException("private RabbitMQ node " + nodeName + " (pids " + pids + ") survived SIGKILL");
    }
  }

  /** Waits until nothing listens on the node's AMQP, TLS and distribution ports any more. */
  private void awaitPortsClosed() {
    for (int port : tlsPort == 0 ? List.of(amqpPort, distPort) : List.of(amqpPort, distPort, tlsPort)) {
      if (!Poll.until(STOP_TIMEOUT, () -> !Ports.listening(port))) {
        throw new IllegalStateException("port " + port + " of private RabbitMQ node " + nodeName
            + " is still open " + STOP_TIMEOUT.toSeconds() + " s after its runtime exited");
      }
    }
  }

  /** Stops the node's epmd; restarting before the old epmd died made 'rabbitmqctl wait' hang (BROKERS.md). */
  private void killEpmd() {
    List<String> kill = List.of("epmd", "-port", Integer.toString(epmdPort), "-kill");
    boolean closed = Poll.until(STOP_TIMEOUT, () -> {
      if (Ports.listening(epmdPort)) {
        run(kill, 15);
      }
      return !Ports.listening(epmdPort);
    });
    if (!closed) {
      throw new IllegalStateException("epmd on port " + epmdPort + " still runs " + STOP_TIMEOUT.toSeconds()
          + " s after stopping private RabbitMQ node " + nodeName);
    }
  }

  @Override
  public synchronized void close() {
    stop();
    releasePorts();
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

  /**
   * Boots the node and blocks until it accepts clients. The node runs in the foreground as a child
   * of this JVM, not {@code -detached}: a detached runtime's output goes nowhere, and a boot that
   * fails before the node opens its log file (bad configuration, a port or node name in use) says
   * why only there. A failed start stops whatever did start and fails with the node's output.
   */
  private void startNode() {
    long t0 = System.nanoTime();
    int boot = ++boots;
    // A pid file left by a killed runtime would have 'rabbitmqctl wait' watch a dead or foreign pid.
    deletePidFile();
    releasePorts();
    requirePortsFree();
    Map<Path, Long> logMarks = RabbitMqBootReport.logSizes(dir.resolve("log"));
    Path console = dir.resolve("boot-" + boot + ".out");
    Path waitOutput = dir.resolve("wait-" + boot + ".out");
    server = launch(List.of(SCRIPTS.resolve("rabbitmq-server").toString()), console);
    Process wait = launch(ctl("wait", "--timeout", Long.toString(START_TIMEOUT_SECONDS), pidFile().toString()),
        waitOutput);
    Poll.until(Duration.ofSeconds(START_TIMEOUT_SECONDS + 30), () -> !wait.isAlive() || !server.isAlive());
    String failure = null;
    if (!server.isAlive()) {
      failure = "exited with code " + server.exitValue() + " while booting";
    } else if (wait.isAlive()) {
      failure = "did not start within " + START_TIMEOUT_SECONDS + " s";
    } else if (wait.exitValue() != 0) {
      failure = "did not start: 'rabbitmqctl wait' exited with code " + wait.exitValue();
    } else if (!Poll.until(Duration.ofSeconds(30), this::listening)) {
      failure = Ports.listening(amqpPort)
          ? "opened no TLS listener on 127.0.0.1:" + tlsPort + " (check the ssl_options files)"
          : "booted but opened no AMQP listener on 127.0.0.1:" + amqpPort + " within 30 s";
    }
    if (failure != null) {
      wait.destroyForcibly();
      IllegalStateException e = new IllegalStateException("private RabbitMQ node " + nodeName + " " + failure
          + " (" + (System.nanoTime() - t0) / 1_000_000 + " ms after launch)\n"
          + RabbitMqBootReport.of(waitOutput, console, dir.resolve("log"), logMarks));
      try {
        awaitExit(runtimeProcesses(), false);
        killEpmd();
        deletePidFile();
      } catch (RuntimeException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
    running = true;
    log.info("private RabbitMQ node {} on 127.0.0.1:{}{} ready in {} ms", nodeName, amqpPort,
        tlsPort == 0 ? "" : " (TLS on " + tlsPort + ")", (System.nanoTime() - t0) / 1_000_000);
  }

  /**
   * While stopped, holds the node's ports, so that a broker of another test JVM (Maven runs two
   * modules at once) drawing a free port meanwhile cannot take one; released just before booting.
   */
  private void reservePorts() {
    reserved = Ports.hold(nodePorts().values());
  }

  private void releasePorts() {
    reserved.close();
    reserved = Ports.Held.NONE;
  }

  private Map<String, Integer> nodePorts() {
    Map<String, Integer> ports = new java.util.LinkedHashMap<>();
    ports.put("AMQP", amqpPort);
    ports.put("distribution", distPort);
    ports.put("epmd", epmdPort);
    if (tlsPort != 0) {
      ports.put("TLS", tlsPort);
    }
    return ports;
  }

  /** Fails, before booting, when another process listens on one of the node's ports. */
  private void requirePortsFree() {
    nodePorts().forEach((what, port) -> {
      if (Ports.listening(port)) {
        throw new IllegalStateException("cannot start private RabbitMQ node " + nodeName + ": its " + what
            + " port 127.0.0.1:" + port + " is taken by another process");
      }
    });
  }

  /** Whether the AMQP listener, and the TLS listener if any, accept connections. */
  private boolean listening() {
    return Ports.listening(amqpPort) && (tlsPort == 0 || Ports.listening(tlsPort));
  }

  private Path pidFile() {
    return dir.resolve("node.pid");
  }

  private void deletePidFile() {
    try {
      Files.deleteIfExists(pidFile());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete the pid file of private RabbitMQ node " + nodeName, e);
    }
  }

  private List<String> ctl(String... args) {
    List<String> command = new ArrayList<>(List.of(SCRIPTS.resolve("rabbitmqctl").toString(), "-q", "-n", nodeName));
    command.addAll(List.of(args));
    return command;
  }

  /** Starts a node script with the node's private environment, in its directory, output to {@code output}. */
  private Process launch(List<String> command, Path output) {
    ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command)).directory(dir.toFile());
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
    env.put("RABBITMQ_PID_FILE", pidFile().toString());
    env.put("RABBITMQ_ENABLED_PLUGINS_FILE", dir.resolve("enabled_plugins").toString());
    env.put("RABBITMQ_CONFIG_FILE", dir.resolve("rabbitmq.conf").toString());
    env.put("RABBITMQ_ADVANCED_CONFIG_FILE", dir.resolve("advanced.config").toString());
    pb.redirectErrorStream(true);
    pb.redirectOutput(output.toFile());
    pb.redirectInput(new java.io.File("/dev/null"));
    try {
      return pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + command.get(0), e);
    }
  }

  /** How a command ended: its exit code (-1 if it was killed for overrunning) and its output. */
  private record Result(int exitCode, String output) {
    boolean succeeded() {
      return exitCode == 0;
    }
  }

  /** Runs a node script with the node's private environment, killing it after {@code timeoutSeconds}. */
  private Result run(List<String> command, long timeoutSeconds) {
    Path output;
    try {
      output = Files.createTempFile(dir, "command-", ".out");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create an output file in " + dir, e);
    }
    try {
      Process p = launch(command, output);
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
        return new Result(-1,
            RabbitMqBootReport.read(output) + "\n(killed: it did not finish within " + timeoutSeconds + " s)");
      }
      return new Result(p.exitValue(), RabbitMqBootReport.read(output));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + command.get(0), e);
    } finally {
      try {
        Files.deleteIfExists(output);
      } catch (IOException e) {
        log.debug("could not delete {}: {}", output, e.toString());
      }
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
