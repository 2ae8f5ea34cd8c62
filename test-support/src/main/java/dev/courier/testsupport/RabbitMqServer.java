package dev.courier.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The RabbitMQ server the tests, TCK runs, examples and benchmarks share: the machine's own on
 * 127.0.0.1:5672 (guest/guest) when one answers there, otherwise a {@link RabbitMqNode} this JVM
 * starts once (installing the Debian package first if it is missing and the build runs as root)
 * and stops at exit. Never skips: a server that cannot be reached or started fails with the reason.
 */
public final class RabbitMqServer {
  private static final Logger log = LoggerFactory.getLogger(RabbitMqServer.class);
  private static final int DEFAULT_PORT = 5672;
  private static volatile RabbitMqServer shared;

  private final String host;
  private final int port;
  private final RabbitMqNode node;

  private RabbitMqServer(String host, int port, RabbitMqNode node) {
    this.host = host;
    this.port = port;
    this.node = node;
  }

  /** The shared server, reused or started on first call. */
  public static synchronized RabbitMqServer shared() {
    if (shared == null) {
      if (Ports.listening(DEFAULT_PORT)) {
        log.info("using the RabbitMQ server on 127.0.0.1:{}", DEFAULT_PORT);
        shared = new RabbitMqServer("127.0.0.1", DEFAULT_PORT, null);
      } else {
        installIfMissing();
        log.info("no RabbitMQ on 127.0.0.1:{}; starting a private node", DEFAULT_PORT);
        RabbitMqNode node = RabbitMqNode.start();
        shared = new RabbitMqServer(node.host(), node.port(), node);
      }
    }
    return shared;
  }

  public String host() {
    return host;
  }

  public int port() {
    return port;
  }

  public String username() {
    return "guest";
  }

  /** The test server's well-known password ("guest"), not a secret. */
  public String password() {
    return "guest";
  }

  /** {@code amqp://guest:guest@host:port/}. */
  public String uri() {
    return "amqp://guest:guest@" + host + ":" + port + "/";
  }

  /** Whether this JVM started the server (rather than reusing the machine's). */
  public boolean startedHere() {
    return node != null;
  }

  private static void installIfMissing() {
    if (Files.isExecutable(Path.of("/usr/lib/rabbitmq/bin/rabbitmq-server"))) {
      return;
    }
    if (!"root".equals(System.getProperty("user.name")) || !Files.isExecutable(Path.of("/usr/bin/apt-get"))) {
      RabbitMqNode.checkInstalled(); // fails with how to install it
    }
    log.info("RabbitMQ is not installed; running apt-get install -y rabbitmq-server");
    try {
      ProcessBuilder pb = new ProcessBuilder("apt-get", "install", "-y", "--no-install-recommends", "rabbitmq-server");
      pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
      pb.redirectErrorStream(true);
      Path out = Files.createTempFile("courier-apt-", ".log");
      pb.redirectOutput(out.toFile());
      Process p = pb.start();
      if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IllegalStateException("apt-get install rabbitmq-server failed; output:\n"
            + Files.readString(out));
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run apt-get to install rabbitmq-server", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while installing rabbitmq-server", e);
    }
    RabbitMqNode.checkInstalled();
  }

  @Override
  public String toString() {
    return "RabbitMqServer{" + host + ":" + port + (node != null ? ", private node" : "") + '}';
  }
}
