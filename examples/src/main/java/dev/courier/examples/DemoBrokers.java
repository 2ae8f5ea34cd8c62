package dev.courier.examples;

import dev.courier.config.CourierConfig;
import dev.courier.testsupport.FauxqsServer;
import dev.courier.testsupport.KafkaBroker;
import dev.courier.testsupport.PubSubEmulator;
import dev.courier.testsupport.RabbitMqServer;
import java.io.PrintStream;

/**
 * Gives the demo a broker to talk to: when {@code COURIER_BROKER} names Kafka, RabbitMQ, SQS or
 * Pub/Sub but no address is configured, it starts a local one on loopback (Kafka in a child JVM;
 * RabbitMQ reuses the server on 127.0.0.1:5672 or starts a private node; SQS an SNS + SQS server,
 * fauxqs, in a child process; Google's Pub/Sub emulator from the machine's jar) with the project's
 * test support. A
 * configured address is always used as it is. Demo convenience only: applications configure
 * their brokers.
 */
final class DemoBrokers {
  private DemoBrokers() {}

  static CourierConfig withLocalBroker(CourierConfig config, PrintStream out) {
    String broker = config.broker().orElse("");
    switch (broker) {
      case "kafka" -> {
        if (config.get("courier.kafka.bootstrap-servers").isPresent()) {
          return config;
        }
        KafkaBroker kafka = KafkaBroker.shared(); // stopped when the JVM exits
        out.printf("no courier.kafka.bootstrap-servers configured: started a local Kafka broker at %s%n",
            kafka.bootstrapServers());
        return CourierConfig.builder()
            .set(CourierConfig.BROKER, "kafka")
            .set("courier.kafka.bootstrap-servers", kafka.bootstrapServers())
            .set("courier.kafka.partitions", "4")
            .build();
      }
      case "rabbitmq" -> {
        if (config.get("courier.rabbitmq.uri").isPresent() || config.get("courier.rabbitmq.host").isPresent()) {
          return config;
        }
        RabbitMqServer rabbit = RabbitMqServer.shared();
        out.printf("no RabbitMQ address configured: using %s:%d%n", rabbit.host(), rabbit.port());
        return CourierConfig.builder()
            .set(CourierConfig.BROKER, "rabbitmq")
            .set("courier.rabbitmq.uri", rabbit.uri())
            .build();
      }
      case "gcp-pubsub" -> {
        if (config.get("courier.gcp-pubsub.emulator-host").isPresent()
            || config.get("courier.gcp-pubsub.project-id").isPresent()) {
          return config;
        }
        PubSubEmulator emulator = PubSubEmulator.shared(); // stopped when the JVM exits
        out.printf("no Pub/Sub project configured: started the Pub/Sub emulator at %s (project %s)%n",
            emulator.endpoint(), emulator.projectId());
        return CourierConfig.builder()
            .set(CourierConfig.BROKER, "gcp-pubsub")
            .set("courier.gcp-pubsub.project-id", emulator.projectId())
            .set("courier.gcp-pubsub.emulator-host", emulator.endpoint())
            .build();
      }
      case "sqs" -> {
        if (config.get("courier.sqs.endpoint").isPresent() || config.get("courier.sqs.access-key-id").isPresent()
            || config.get("courier.sqs.region").isPresent()) {
          return config;
        }
        FauxqsServer server = FauxqsServer.shared(); // stopped when the JVM exits
        out.printf("no SQS endpoint, credentials or region configured: started a local SNS + SQS server (fauxqs) at %s%n",
            server.endpoint());
        return CourierConfig.builder()
            .set(CourierConfig.BROKER, "sqs")
            .set("courier.sqs.endpoint", server.endpoint())
            .set("courier.sqs.access-key-id", "local")
            .set("courier.sqs.secret-access-key", "local")
            .set("courier.sqs.wait-time", "1s")
            .build();
      }
      default -> {
        return config;
      }
    }
  }
}
