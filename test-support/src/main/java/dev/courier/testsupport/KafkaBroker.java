package dev.courier.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node Kafka broker (KRaft, combined broker and controller) in a child JVM, from the
 * Maven Central jars this module's build resolved ({@code kafka-broker.classpath}, written by the
 * build). It listens on free loopback ports and keeps its log in a fresh temporary directory; the
 * ports and the directory stay the same across {@link #stop()} and {@link #start()}, so a restart
 * keeps the stored messages (the TCK's fault rules). The child is destroyed when this JVM exits.
 *
 * <p>{@link #shared()} is the one broker of a test run (all test classes of a surefire JVM), started
 * on first use. A broker that cannot start fails with the reason and the tail of its log.
 */
public final class KafkaBroker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KafkaBroker.class);
  private static final String CLASSPATH_RESOURCE = "kafka-broker.classpath";
  private static final long START_TIMEOUT_MS = 90_000;
  private static volatile KafkaBroker shared;

  private final Path dir;
  private final Path logFile;
  private final int port;
  private final int controllerPort;
  private final String classpath;
  private Process process;

  private KafkaBroker(Path dir, int port, int controllerPort, String classpath) {
    this.dir = dir;
    this.logFile = dir.resolve("server.log");
    this.port = port;
    this.controllerPort = controllerPort;
    this.classpath = classpath;
  }

  /** The broker shared by this JVM's tests, started on first call and stopped at exit. */
  public static synchronized KafkaBroker shared() {
    if (shared == null) {
      KafkaBroker b = create();
      b.start();
      shared = b;
    }
    return shared;
  }

  /**
   * A new, formatted but not yet started broker with its own ports and temporary directory;
   * {@link #close()} stops it and deletes the directory (so does JVM exit).
   */
  public static KafkaBroker create() {
    String cp = brokerClasspath();
    Path dir;
    try {
      dir = Files.createTempDirectory("courier-kafka-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a log directory for the Kafka broker", e);
    }
    KafkaBroker b = new KafkaBroker(dir, Ports.free(), Ports.free(), cp);
    Runtime.getRuntime().addShutdownHook(new Thread(b::close, "kafka-broker-shutdown"));
    b.format();
    return b;
  }

  /** {@code 127.0.0.1:port}, for {@code bootstrap.servers}. */
  public String bootstrapServers() {
    return "127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** Starts the broker (again) and blocks until it serves clients. */
  public synchronized void start() {
    if (isRunning()) {
      return;
    }
    long t0 = System.nanoTime();
    long logOffset = size(logFile);
    List<String> cmd = java("-Xmx512m", "-Xms128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-Dlog4j2.configurationFile=" + dir.resolve("log4j2.properties").toUri(),
        "kafka.Kafka", dir.resolve("server.properties").toString());
    try {
      process = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the Kafka broker JVM: " + e.getMessage(), e);
    }
    long deadline = System.currentTimeMillis() + START_TIMEOUT_MS;
    while (true) {
      String out = readFrom(logFile, logOffset);
      if (out.contains("Kafka Server started") && Ports.listening(port)) {
        break;
      }
      if (!process.isAlive()) {
        throw new IllegalStateException("the Kafka broker exited with status " + process.exitValue()
            + " while starting; its log (" + logFile + ") ends with:\n" + tail(out));
      }
      if (System.currentTimeMillis() > deadline) {
        process.destroyForcibly();
        throw new IllegalStateException("the Kafka broker did not start within " + START_TIMEOUT_MS
            + " ms; its log (" + logFile + ") ends with:\n" + tail(out));
      }
      sleepQuietly(100);
    }
    log.info("Kafka broker started on {} in {} ms (log dir {})", bootstrapServers(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), dir);
  }

  /** Stops the broker gracefully (SIGTERM: it flushes its log) and blocks until it exited. */
  public synchronized void stop() {
    if (process == null) {
      return;
    }
    Process p = process;
    process = null;
    p.destroy();
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        log.warn("the Kafka broker did not stop within 30 s; killing it");
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    // The ports are free again before the next start binds them.
    long deadline = System.currentTimeMillis() + 10_000;
    while ((Ports.listening(port) || Ports.listening(controllerPort)) && System.currentTimeMillis() < deadline) {
      sleepQuietly(50);
    }
  }

  /** Stops the broker and deletes its directory. Idempotent. */
  @Override
  public synchronized void close() {
    stop();
    deleteTree(dir);
  }

  @Override
  public String toString() {
    return "KafkaBroker{" + bootstrapServers() + ", dir=" + dir + (isRunning() ? ", running" : "") + '}';
  }

  private void format() {
    write(dir.resolve("server.properties"), String.join("\n",
        "process.roles=broker,controller",
        "node.id=1",
        "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
        "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
        "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs=" + dir.resolve("data"),
        "num.partitions=1",
        "auto.create.topics.enable=false",
        "offsets.topic.replication.factor=1",
        "offsets.topic.num.partitions=4",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "share.coordinator.state.topic.replication.factor=1",
        "share.coordinator.state.topic.min.isr=1",
        // Tests: rebalance at once, allow short session timeouts, keep the log small.
        "group.initial.rebalance.delay.ms=0",
        "group.min.session.timeout.ms=1000",
        "log.segment.bytes=16777216",
        "log.retention.check.interval.ms=300000",
        "num.network.threads=2",
        "num.io.threads=4",
        "") + "\n");
    write(dir.resolve("log4j2.properties"), String.join("\n",
        "appender.out.type=Console",
        "appender.out.name=OUT",
        "appender.out.layout.type=PatternLayout",
        "appender.out.layout.pattern=[%d] %p %m (%c)%n",
        "rootLogger.level=WARN",
        "rootLogger.appenderRef.out.ref=OUT",
        "logger.server.name=kafka.server.KafkaRaftServer",
        "logger.server.level=INFO",
        "logger.broker.name=kafka.server.BrokerServer",
        "logger.broker.level=INFO",
        "") + "\n");
    // A URL-safe Base64 id may start with '-', which the storage tool's argument parser reads as
    // an option (1 start in 64 failed that way); draw again, as Kafka's own Uuid.randomUuid does.
    SecureRandom random = new SecureRandom();
    String clusterId;
    do {
      byte[] id = new byte[16];
      random.nextBytes(id);
      clusterId = Base64.getUrlEncoder().withoutPadding().encodeToString(id);
    } while (clusterId.startsWith("-"));
    List<String> cmd = java("-Xmx256m", "-XX:TieredStopAtLevel=1",
        "-Dlog4j2.configurationFile=" + dir.resolve("log4j2.properties").toUri(),
        "kafka.tools.StorageTool", "format", "-t", clusterId, "-c", dir.resolve("server.properties").toString());
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("formatting the Kafka log directory took over 60 s; log: "
            + tail(readFrom(logFile, 0)));
      }
      if (p.exitValue() != 0) {
        throw new IllegalStateException("formatting the Kafka log directory failed with status "
            + p.exitValue() + ":\n" + tail(readFrom(logFile, 0)));
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run the Kafka storage tool: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while formatting the Kafka log directory", e);
    }
  }

  private List<String> java(String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-cp");
    cmd.add(classpath);
    cmd.addAll(List.of(args));
    return cmd;
  }

  private static String brokerClasspath() {
    try (InputStream in = KafkaBroker.class.getResourceAsStream(CLASSPATH_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("no " + CLASSPATH_RESOURCE + " next to " + KafkaBroker.class.getName()
            + ": build test-support with Maven (mvn install -pl test-support), which resolves the broker's jars");
      }
      String cp = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
      for (String entry : cp.split(java.io.File.pathSeparator)) {
        if (!Files.isRegularFile(Path.of(entry))) {
          throw new IllegalStateException("the Kafka broker's class path names " + entry
              + ", which is missing: rebuild test-support with Maven to resolve it again");
        }
      }
      return cp;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + CLASSPATH_RESOURCE, e);
    }
  }

  private static void write(Path file, String text) {
    try {
      Files.writeString(file, text);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  private static long size(Path file) {
    try {
      return Files.exists(file) ? Files.size(file) : 0;
    } catch (IOException e) {
      return 0;
    }
  }

  private static String readFrom(Path file, long offset) {
    try {
      if (!Files.exists(file)) {
        return "";
      }
      byte[] all = Files.readAllBytes(file);
      int from = (int) Math.min(offset, all.length);
      return new String(all, from, all.length - from, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  private static String tail(String text) {
    String[] lines = text.split("\n");
    int from = Math.max(0, lines.length - 30);
    return String.join("\n", java.util.Arrays.asList(lines).subList(from, lines.length));
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the Kafka broker", e);
    }
  }

  private static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException ignored) {
          // best effort: a temp directory
        }
      });
    } catch (IOException ignored) {
      // best effort
    }
  }
}
