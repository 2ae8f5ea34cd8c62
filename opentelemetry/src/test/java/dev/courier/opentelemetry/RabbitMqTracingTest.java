package dev.courier.opentelemetry;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.courier.rabbitmq.RabbitMqSettings;
import dev.courier.rabbitmq.RabbitMqTransport;
import dev.courier.rabbitmq.internal.Topology;
import dev.courier.spi.Transport;
import dev.courier.testsupport.RabbitMqServer;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;

@DisplayName("Tracing on RabbitMQ (shared server)")
class RabbitMqTracingTest extends TracingContract {
  private final List<String> topics = new ArrayList<>();

  private static RabbitMqSettings settings() {
    return RabbitMqSettings.builder().uri(RabbitMqServer.shared().uri()).connectionName("courier-tracing-test").build();
  }

  @Override
  Transport transport() {
    return RabbitMqTransport.connect(settings());
  }

  @Override
  String uniqueTopic() {
    String t = "tracing-" + UUID.randomUUID();
    topics.add(t);
    topics.add(t + "-next");
    return t;
  }

  /** Deletes the queues and exchanges this test made (quorum queues must not pile up on the shared server). */
  @AfterEach
  void deleteTopology() throws Exception {
    courier.close();
    RabbitMqServer server = RabbitMqServer.shared();
    ConnectionFactory f = new ConnectionFactory();
    f.setHost(server.host());
    f.setPort(server.port());
    f.setUsername(server.username());
    f.setPassword(server.password());
    try (Connection c = f.newConnection("courier-tracing-cleanup"); Channel ch = c.createChannel()) {
      for (String t : topics) {
        String deadLetterTopic = Topology.NAMING.deadLetterTopic(t, group);
        ch.queueDelete(Topology.queueName(t, group));
        ch.queueDelete(Topology.queueName(deadLetterTopic, Topology.NAMING.deadLetterGroup()));
        ch.exchangeDelete(t);
        ch.exchangeDelete(deadLetterTopic);
      }
    }
  }
}
