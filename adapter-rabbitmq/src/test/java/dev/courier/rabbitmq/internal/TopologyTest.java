package dev.courier.rabbitmq.internal;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.courier.rabbitmq.QueueType;
import dev.courier.testsupport.RabbitMqServer;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("RabbitMQ topology declarations")
class TopologyTest {
  @Test
  @DisplayName("while the consuming connection is still down (recovering), declarations go over the publishing connection")
  void declaresOverThePublishingConnectionWhileTheConsumingOneIsDown() throws Exception {
    ConnectionFactory f = new ConnectionFactory();
    RabbitMqServer broker = RabbitMqServer.shared();
    f.setHost(broker.host());
    f.setPort(broker.port());
    f.setUsername(broker.username());
    f.setPassword(broker.password());
    Connection down = f.newConnection("topology-test-down");
    down.close(); // stands for a consuming connection whose recovery has not finished yet
    String topic = "topology-" + UUID.randomUUID();
    try (Connection up = f.newConnection("topology-test-up")) {
      Topology topology = new Topology(down, up, QueueType.QUORUM, false);
      assertDoesNotThrow(() -> topology.ensureTopic(topic));
      assertDoesNotThrow(() -> topology.ensureGroup(topic, "g", false));
      try (Channel ch = up.createChannel()) {
        ch.exchangeDeclarePassive(topic); // throws if the exchange was not declared
        assertTrue(ch.queueDeclarePassive(Topology.queueName(topic, "g")) != null);
        ch.queueDelete(Topology.queueName(topic, "g"));
        ch.exchangeDelete(topic);
      }
      topology.close();
    }
  }
}
