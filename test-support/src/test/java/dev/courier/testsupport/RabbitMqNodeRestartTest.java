package dev.courier.testsupport;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The fault rules stop their private node and start it again; on a loaded machine a restart once
 * failed with nothing but "did not start within 120 s" and a log without a line from the new boot
 * (TCK-2.3). A restart must leave nothing of the old runtime behind, and a start that fails must
 * say why, from the node's own output, without waiting out the whole start timeout.
 */
@DisplayName("A private RabbitMQ node")
class RabbitMqNodeRestartTest {
  private static final int CYCLES = 2;

  @Test
  @DisplayName("stops and starts again " + CYCLES + " times in a row; each stop ends the old runtime and frees its ports")
  void stopsAndStartsAgainRepeatedly() throws IOException {
    try (RabbitMqNode node = RabbitMqNode.start()) {
      for (int cycle = 1; cycle <= CYCLES; cycle++) {
        long runtime = Long.parseLong(Files.readString(node.directory().resolve("node.pid")).trim());
        node.stop();
        assertFalse(node.isRunning(), "cycle " + cycle + ": the node says it runs after stop()");
        assertFalse(ProcessHandle.of(runtime).map(ProcessHandle::isAlive).orElse(false),
            "cycle " + cycle + ": the old runtime (pid " + runtime + ") still runs after stop()");
        assertFalse(Ports.listening(node.port()), "cycle " + cycle + ": AMQP port still open after stop()");
        node.restart();
        assertTrue(node.isRunning(), "cycle " + cycle + ": the node says it is stopped after restart()");
        assertTrue(Ports.listening(node.port()), "cycle " + cycle + ": AMQP port closed after restart()");
      }
    }
  }

  @Test
  @DisplayName("that cannot boot fails its start within a minute, quoting the node's own error, and starts once the cause is gone")
  void failedStartSaysWhy() throws IOException {
    try (RabbitMqNode node = RabbitMqNode.start()) {
      node.stop();
      Path conf = node.directory().resolve("rabbitmq.conf");
      String good = Files.readString(conf, StandardCharsets.UTF_8);
      // RabbitMQ rejects an unknown key while preparing its configuration, before it opens its log file
      Files.writeString(conf, good + "courier_no_such_setting = 1\n", StandardCharsets.UTF_8);
      long t0 = System.nanoTime();
      IllegalStateException e = assertThrows(IllegalStateException.class, node::restart);
      Duration took = Duration.ofNanos(System.nanoTime() - t0);
      assertTrue(e.getMessage().contains("courier_no_such_setting"),
          "the failure does not quote the node's error about the bad setting:\n" + e.getMessage());
      assertTrue(took.compareTo(Duration.ofSeconds(60)) < 0, "the failed start took " + took);
      assertFalse(node.isRunning(), "the node says it runs after a failed start");

      Files.writeString(conf, good, StandardCharsets.UTF_8);
      node.restart();
      assertTrue(Ports.listening(node.port()), "AMQP port closed after restarting with a good configuration");
    }
  }
}
