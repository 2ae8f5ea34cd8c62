package dev.courier.rabbitmq.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.courier.testsupport.Poll;
import dev.courier.testsupport.RabbitMqServer;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("RabbitMQ confirm channel")
class ConfirmChannelTest {
  private static final AMQP.BasicProperties PROPS = new AMQP.BasicProperties.Builder().deliveryMode(2).build();

  @Test
  @DisplayName("a channel the broker closed, or whose connection was lost, is never published on again: its confirms"
      + " (numbered from 1 again after recovery) cannot settle another channel's publishes")
  void replacedChannelStaysClosedThroughRecovery() throws Exception {
    RabbitMqServer broker = RabbitMqServer.shared();
    ConnectionFactory f = new ConnectionFactory();
    f.setHost(broker.host());
    f.setPort(broker.port());
    f.setUsername(broker.username());
    f.setPassword(broker.password());
    f.setAutomaticRecoveryEnabled(true);
    f.setTopologyRecoveryEnabled(false);
    f.setNetworkRecoveryInterval(100);
    String exchange = "confirm-channel-" + UUID.randomUUID();
    try (Connection setup = f.newConnection("confirm-channel-test-setup");
        Channel admin = setup.createChannel();
        Connection conn = f.newConnection("confirm-channel-test")) {
      admin.exchangeDeclare(exchange, "fanout", false, true, null);
      String queue = admin.queueDeclare("", false, true, true, null).getQueue();
      admin.queueBind(queue, exchange, "");
      ConfirmChannel c = new ConfirmChannel(conn, "test", Runnable::run, () -> null);
      c.publish(exchange, "", null, seq -> PROPS, new byte[] {1}).get(10, TimeUnit.SECONDS);
      Channel first = c.currentChannel();
      CompletableFuture<Void> refused = c.publish("missing-" + UUID.randomUUID(), "", null, seq -> PROPS,
          new byte[] {2});
      assertThrows(ExecutionException.class, () -> refused.get(10, TimeUnit.SECONDS));
      Poll.await(() -> !first.isOpen(), "the broker closed the channel (404)");
      c.publish(exchange, "", null, seq -> PROPS, new byte[] {3}).get(10, TimeUnit.SECONDS);
      Channel second = c.currentChannel();
      assertNotSame(first, second);
      // basic.qos with a prefetch size is a connection error (540): the broker closes the connection
      Channel killer = conn.createChannel();
      try {
        killer.basicQos(1, 0, false);
      } catch (Exception expected) {
        // the connection is closing
      }
      try {
        killer.abort();
      } catch (Exception ignored) {
        // already closed
      }
      Poll.await(() -> {
        try {
          c.publish(exchange, "", null, seq -> PROPS, new byte[] {4}).get(10, TimeUnit.SECONDS);
          return true;
        } catch (Exception notYet) {
          return false;
        }
      }, "publishing works again after the connection's recovery");
      assertFalse(first.isOpen(), "the recovery reopened the channel the broker had closed, with its listeners");
      assertNotSame(second, c.currentChannel(), "publishing went on on the recovered channel, which numbers its"
          + " publishes from 1 again under the listeners of the lost connection's publishes");
      assertFalse(second.isOpen(), "the retired channel was left open");
      c.close(1000);
    }
  }
}
