package dev.courier.testsupport;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Props;
import org.apache.pekko.pattern.Patterns;
import org.elasticmq.NodeAddress;
import org.elasticmq.StrictSQSLimits$;
import org.elasticmq.actor.QueueManagerActor;
import org.elasticmq.actor.queue.QueueEvent;
import org.elasticmq.persistence.sql.SqlQueuePersistenceActor;
import org.elasticmq.persistence.sql.SqlQueuePersistenceConfig;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;
import org.elasticmq.util.NowProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Option;
import scala.concurrent.Await;
import scala.concurrent.duration.FiniteDuration;

/**
 * An ElasticMQ server (an SQS-compatible server from Maven Central) embedded in this JVM, bound to
 * 127.0.0.1 on a free port, never to its default 0.0.0.0:9324. Modules that start it add
 * {@code org.elasticmq:elasticmq-rest-sqs_2.13} to their test class path (an optional dependency
 * here, so Scala and Pekko reach no one else).
 *
 * <p>{@link #shared()} is the one in-memory server of a test run, started on first use and stopped
 * at exit. {@link #persistent()} makes a server that keeps its queues and messages in an H2 file
 * across {@link #stop()} and {@link #start()} at the same address (the TCK's restart rules).
 */
public final class ElasticMqServer implements SqsServer {
  private static final Logger log = LoggerFactory.getLogger(ElasticMqServer.class);
  private static final AtomicInteger SYSTEMS = new AtomicInteger();
  private static volatile ElasticMqServer shared;

  private final int port;
  private final Path dataDir; // null: in memory
  private ActorSystem system;
  private SQSRestServer server;

  private ElasticMqServer(int port, Path dataDir) {
    this.port = port;
    this.dataDir = dataDir;
  }

  /** The in-memory server shared by this JVM's tests, started on first call and stopped at exit. */
  public static synchronized ElasticMqServer shared() {
    if (shared == null) {
      ElasticMqServer s = new ElasticMqServer(Ports.free(), null);
      s.start();
      Runtime.getRuntime().addShutdownHook(new Thread(s::close, "elasticmq-shutdown"));
      shared = s;
    }
    return shared;
  }

  /**
   * A new server storing queues and messages in a fresh temporary directory, started; they survive
   * {@link #stop()} and {@link #start()}. {@link #close()} stops it and deletes the directory.
   */
  public static ElasticMqServer persistent() {
    Path dir;
    try {
      dir = Files.createTempDirectory("courier-elasticmq-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a data directory for ElasticMQ", e);
    }
    ElasticMqServer s = new ElasticMqServer(Ports.free(), dir);
    s.start();
    return s;
  }

  /** {@code http://127.0.0.1:<port>}, the endpoint override for the SQS client. */
  public String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  /** Starts the server (again) at the same address; fails loudly if it cannot. */
  public synchronized void start() {
    if (server != null) {
      return;
    }
    long started = System.nanoTime();
    Config config = ConfigFactory.parseString(
        "pekko.loggers = [\"org.apache.pekko.event.slf4j.Slf4jLogger\"]\n"
            + "pekko.logging-filter = \"org.apache.pekko.event.slf4j.Slf4jLoggingFilter\"\n"
            + "pekko.loglevel = WARNING\npekko.stdout-loglevel = OFF\npekko.log-dead-letters = off\n"
            + "pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off\n")
        .withFallback(ConfigFactory.load(ElasticMqServer.class.getClassLoader()));
    ActorSystem sys = ActorSystem.create("courier-elasticmq-" + SYSTEMS.incrementAndGet(), config,
        ElasticMqServer.class.getClassLoader());
    try {
      Option<ActorRef> store = Option.empty();
      if (dataDir != null) {
        SqlQueuePersistenceConfig persistence = new SqlQueuePersistenceConfig(true, "org.h2.Driver",
            "jdbc:h2:" + dataDir.resolve("elasticmq").toAbsolutePath(), "sa", "", false);
        store = Option.apply(sys.actorOf(Props.create(SqlQueuePersistenceActor.class, persistence,
            scala.collection.immutable.List$.MODULE$.empty())));
      }
      ActorRef manager = sys.actorOf(Props.create(QueueManagerActor.class, new NowProvider(),
          StrictSQSLimits$.MODULE$, store));
      SQSRestServer s = SQSRestServerBuilder.withActorSystem(sys).withQueueManagerActor(manager)
          .withInterface("127.0.0.1").withPort(port)
          .withServerAddress(new NodeAddress("http", "127.0.0.1", port, "")).start();
      s.waitUntilStarted();
      if (store.isDefined()) {
        Await.result(Patterns.ask(store.get(), new QueueEvent.Restore(manager), 30_000),
            FiniteDuration.apply(30, TimeUnit.SECONDS));
      }
      system = sys;
      server = s;
    } catch (Exception | Error e) {
      sys.terminate();
      throw new IllegalStateException("ElasticMQ could not start on 127.0.0.1:" + port + ": " + e, e);
    }
    log.info("ElasticMQ listening on {} ({}) in {} ms", endpoint(), dataDir == null ? "in memory" : "persistent",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
  }

  /** Stops the server: afterwards nothing answers on its port. Stored messages stay if persistent. */
  public synchronized void stop() {
    if (server == null) {
      return;
    }
    try {
      server.stopAndWait();
    } finally {
      server = null;
      ActorSystem sys = system;
      system = null;
      try {
        Await.result(sys.terminate(), FiniteDuration.apply(30, TimeUnit.SECONDS));
      } catch (Exception e) {
        log.warn("ElasticMQ's actor system did not terminate in 30 s: {}", e.toString());
      }
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (Ports.listening(port) && System.nanoTime() - deadline < 0) {
      Thread.onSpinWait();
    }
  }

  /** {@link #stop()} then {@link #start()}. */
  public void restart() {
    stop();
    start();
  }

  @Override
  public synchronized void close() {
    stop();
    if (dataDir != null) {
      try (Stream<Path> files = Files.walk(dataDir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        log.warn("could not delete {}: {}", dataDir, e.toString());
      }
    }
  }

  @Override
  public String toString() {
    return "ElasticMqServer{" + endpoint() + (dataDir == null ? "" : ", persistent") + '}';
  }
}
