package dev.courier.bench;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import dev.courier.Courier;
import dev.courier.bench.driver.Endpoint;
import dev.courier.bench.driver.Workload;
import dev.courier.config.CourierConfig;
import dev.courier.testsupport.RabbitMqServer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Date;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Consumer;

/**
 * RabbitMQ: the same workload through Courier's adapter, the raw amqp-client and Spring Cloud
 * Stream's Rabbit binder (the peer, its own JVM), against the same server: messages of 1 KiB,
 * persistent, to a durable topic exchange with one quorum queue bound to it; publisher confirms
 * with at most {@value #WINDOW} unconfirmed; one consumer with prefetch {@value #PREFETCH} and one
 * ack per message after the handler returned. Publish-only publishes into the queue with nobody
 * consuming; the queues are deleted (purged, for the peer) after each phase.
 */
public final class RabbitBench {
  private static final int PAYLOAD_BYTES = 1024;
  private static final int WINDOW = 1024;
  private static final int PREFETCH = 256;
  private static final Workload.Settings SETTINGS = new Workload.Settings(PAYLOAD_BYTES, WINDOW, 0, true);

  private RabbitBench() {}

  public static void main(String[] args) throws Exception {
    Options options = Options.parse(args, 50_000);
    RabbitMqServer server = RabbitMqServer.shared();
    System.out.println("RabbitMQ: " + server);
    ConnectionFactory factory = new ConnectionFactory();
    factory.setHost(server.host());
    factory.setPort(server.port());
    factory.setUsername(server.username());
    factory.setPassword(server.password());
    try (Connection admin = factory.newConnection("bench-cleanup")) {
      CourierEndpoint courier = new CourierEndpoint(Courier.fromConfig(CourierConfig.builder()
          .set("courier.broker", "rabbitmq")
          .set("courier.rabbitmq.uri", server.uri())
          .set("courier.rabbitmq.connection-name", "courier-bench")
          .set("courier.rabbitmq.publish-timeout", "60s")
          .build())).groupForPublishOnly().subscription(b -> b.maxInFlight(PREFETCH))
          .cleanup(topic -> delete(admin, topic + ":" + CourierEndpoint.GROUP, topic));
      new Harness(options)
          .workload("payloadBytes", PAYLOAD_BYTES).workload("confirmWindow", WINDOW).workload("prefetch", PREFETCH)
          .workload("queue", "quorum")
          .side("courier", "Courier's RabbitMQ adapter (maxInFlight = prefetch " + PREFETCH + ")",
              Harness.Side.of(courier, SETTINGS))
          .side("raw", "raw amqp-client: one publishing channel with confirms, one consuming channel, basicAck each",
              Harness.Side.of(new RawRabbit(factory), SETTINGS))
          .optionalSide("peer", "Spring Cloud Stream Rabbit binder (StreamBridge with a CorrelationData per message"
              + " for its confirm, a channel cache of a window and 64, functional Consumer, acknowledge-mode AUTO)",
              () -> PeerSide.start("binder=rabbit",
              "host=" + server.host(), "port=" + server.port(), "username=" + server.username(),
              "password=" + server.password(), "payloadBytes=" + PAYLOAD_BYTES, "window=" + WINDOW,
              "prefetch=" + PREFETCH, "concurrency=1"))
          .ratio("courierToRaw", "courier", "raw")
          .ratio("courierToPeer", "courier", "peer")
          .ratio("peerToRaw", "peer", "raw")
          .run();
    }
  }

  private static void delete(Connection connection, String queue, String exchange) throws IOException {
    try (Channel ch = connection.createChannel()) {
      ch.queueDelete(queue);
      ch.exchangeDelete(exchange);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IOException(e);
    }
  }

  /** The raw amqp-client: one connection publishing on one confirming channel, one consuming. */
  private static final class RawRabbit implements Endpoint {
    private final Connection publishing;
    private final Connection consuming;
    private final Channel publisher;
    private final ConcurrentNavigableMap<Long, Confirm> outstanding = new ConcurrentSkipListMap<>();

    RawRabbit(ConnectionFactory factory) throws Exception {
      this.publishing = factory.newConnection("raw-bench-publish");
      this.consuming = factory.newConnection("raw-bench-consume");
      this.publisher = publishing.createChannel();
      publisher.confirmSelect();
      publisher.addConfirmListener(new ConfirmListener() {
        @Override
        public void handleAck(long seq, boolean multiple) {
          settle(seq, multiple, null);
        }

        @Override
        public void handleNack(long seq, boolean multiple) {
          settle(seq, multiple, new IOException("publisher confirm: nack"));
        }
      });
    }

    private void settle(long seq, boolean multiple, Throwable failure) {
      if (multiple) {
        var head = outstanding.headMap(seq, true);
        head.values().forEach(c -> c.done(failure));
        head.clear();
      } else {
        Confirm c = outstanding.remove(seq);
        if (c != null) {
          c.done(failure);
        }
      }
    }

    @Override
    public String create(boolean consumed) throws Exception {
      String topic = "bench-raw-" + UUID.randomUUID();
      try (Channel ch = consuming.createChannel()) {
        ch.exchangeDeclare(topic, BuiltinExchangeType.TOPIC, true);
        ch.queueDeclare(topic + ":g", true, false, false, Map.of("x-queue-type", "quorum"));
        ch.queueBind(topic + ":g", topic, "#");
      }
      return topic;
    }

    @Override
    public void publish(String topic, int index, byte[] payload, Confirm confirm) throws IOException {
      outstanding.put(publisher.getNextPublishSeqNo(), confirm);
      AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
          .messageId(UUID.randomUUID().toString()).deliveryMode(2).timestamp(new Date()).build();
      publisher.basicPublish(topic, topic, true, props, payload);
    }

    @Override
    public AutoCloseable consume(String topic, Consumer<ByteBuffer> handler) throws IOException {
      Channel ch = consuming.createChannel();
      ch.basicQos(PREFETCH);
      ch.basicConsume(topic + ":g", false, new DefaultConsumer(ch) {
        @Override
        public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body)
            throws IOException {
          handler.accept(ByteBuffer.wrap(body));
          try {
            ch.basicAck(envelope.getDeliveryTag(), false);
          } catch (AlreadyClosedException e) {
            // the run ended with this ack on its way (the phase's queue is deleted next)
          }
        }
      });
      return ch::close;
    }

    @Override
    public void discard(String topic) throws IOException {
      delete(consuming, topic + ":g", topic);
    }

    @Override
    public void close() throws IOException {
      publishing.close();
      consuming.close();
    }
  }
}
