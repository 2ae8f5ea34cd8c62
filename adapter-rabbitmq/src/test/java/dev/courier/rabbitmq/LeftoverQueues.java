package dev.courier.rabbitmq;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.courier.testsupport.RabbitMqServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes the queues a test run left on the shared server (quorum queues keep Raft logs, so they
 * must not pile up across runs). Lists them with rabbitmqctl, deletes them over AMQP. Best effort:
 * a server this build did not start may not let us list; then it logs why and leaves them.
 */
public final class LeftoverQueues {
  private static final Logger log = LoggerFactory.getLogger(LeftoverQueues.class);

  /**
   * A prefix unique to this test JVM: names made with it are this run's, so cleaning up never
   * deletes the queues of another build using the same server at the same time.
   */
  public static final String RUN = Long.toHexString(System.nanoTime() & 0xFFFFFFL) + Long.toHexString(
      java.util.concurrent.ThreadLocalRandom.current().nextLong() & 0xFFFFL);

  private LeftoverQueues() {}

  public static void deleteStartingWith(String... prefixes) {
    List<String> names = new ArrayList<>();
    try {
      Process p = new ProcessBuilder("rabbitmqctl", "-q", "list_queues", "name").redirectErrorStream(false).start();
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          for (String prefix : prefixes) {
            if (line.startsWith(prefix)) {
              names.add(line.trim());
            }
          }
        }
      }
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        log.warn("rabbitmqctl list_queues did not finish; leftover test queues stay");
        return;
      }
    } catch (Exception e) {
      log.warn("cannot list queues with rabbitmqctl ({}); leftover test queues stay", e.toString());
      return;
    }
    if (names.isEmpty()) {
      return;
    }
    RabbitMqServer server = RabbitMqServer.shared();
    ConnectionFactory f = new ConnectionFactory();
    f.setHost(server.host());
    f.setPort(server.port());
    f.setUsername(server.username());
    f.setPassword(server.password());
    try (Connection c = f.newConnection("courier-test-cleanup"); Channel ch = c.createChannel()) {
      for (String name : names) {
        ch.queueDelete(name);
      }
      log.info("deleted {} queues left by tests", names.size());
    } catch (Exception e) {
      log.warn("deleting leftover test queues failed: {}", e.toString());
    }
  }
}
