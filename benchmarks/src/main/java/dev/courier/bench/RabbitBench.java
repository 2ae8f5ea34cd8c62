package dev.courier.bench;

import dev.courier.bench.Comparison.Result;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import dev.courier.Courier;
import dev.courier.Message;
import dev.courier.Publisher;
import dev.courier.Subscription;
import dev.courier.SubscriptionOptions;
import dev.courier.config.CourierConfig;
import dev.courier.testsupport.RabbitMqServer;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Date;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The same workload through Courier's RabbitMQ adapter and through the raw amqp-client, against
 * the same server in the same run: N messages of 1 KiB to a durable topic exchange with one quorum
 * queue bound to it; publishing with publisher confirms (at most {@value #WINDOW} unconfirmed),
 * persistent; consuming with prefetch {@value #PREFETCH} and one manual ack per message.
 * <ul>
 *   <li>publish: N messages into the queue with nobody consuming, until every confirm arrived;
 *   <li>end-to-end: N messages published while a consumer handles them, until the last is acked;
 *       latency is publish → handler.
 * </ul>
 * Each side runs twice, alternating; the better run of each counts (the machine is shared).
 */
public final class RabbitBench {
  private static final int PAYLOAD_BYTES = 1024;
  private static final int WINDOW = 1024;
  private static final int PREFETCH = 256;

  private RabbitBench() {}

  public static void main(String[] args) throws Exception {
    Path out = Path.of(args[1]);
    int messages = args.length > 2 ? Integer.parseInt(args[2]) : 100_000;
    RabbitMqServer server = RabbitMqServer.shared();
    System.out.println("RabbitMQ: " + server);
    raw(server, 10_000);
    courier(server, 10_000);
    Result raw = raw(server, messages);
    Result courier = courier(server, messages);
    raw = raw.best(raw(server, messages));
    courier = courier.best(courier(server, messages));
    Comparison.report("rabbitmq", "raw amqp-client", messages, PAYLOAD_BYTES, raw, courier,
        Map.of("prefetch", PREFETCH, "confirmWindow", WINDOW), out);
  }

  // ---- Courier -------------------------------------------------------------------------------

  static Result courier(RabbitMqServer server, int messages) throws Exception {
    String topic = "bench-courier-" + UUID.randomUUID();
    try (Courier courier = Courier.fromConfig(CourierConfig.builder()
        .set("courier.broker", "rabbitmq")
        .set("courier.rabbitmq.uri", server.uri())
        .set("courier.rabbitmq.connection-name", "courier-bench")
        .set("courier.rabbitmq.publish-timeout", "60s")
        .build())) {
      Publisher publisher = courier.publisher();
      courier.admin().ensureGroup(topic, "g");
      byte[] payload = new byte[PAYLOAD_BYTES];
      // publish only
      Semaphore window = new Semaphore(WINDOW);
      long start = System.nanoTime();
      for (int i = 0; i < messages; i++) {
        window.acquire();
        publisher.publish(topic, Message.of(payload)).whenComplete((ok, e) -> window.release());
      }
      window.acquire(WINDOW);
      window.release(WINDOW);
      double publishRate = messages / ((System.nanoTime() - start) / 1e9);
      // drain what was published, then the end-to-end run on a fresh group
      CountDownLatch drained = new CountDownLatch(messages);
      try (Subscription s = courier.subscribe(SubscriptionOptions.builder(topic, "g").maxInFlight(PREFETCH).build(),
          d -> drained.countDown())) {
        if (!drained.await(300, TimeUnit.SECONDS)) {
          throw new IllegalStateException("courier drain: " + drained.getCount() + " left");
        }
      }
      String topic2 = topic + "-e2e";
      courier.admin().ensureGroup(topic2, "g");
      long[] sentAt = new long[messages];
      long[] latency = new long[messages];
      CountDownLatch done = new CountDownLatch(messages);
      double rate;
      try (Subscription s = courier.subscribe(SubscriptionOptions.builder(topic2, "g").maxInFlight(PREFETCH).build(),
          d -> {
            int i = d.message().payloadBuffer().getInt(0);
            latency[i] = System.nanoTime() - sentAt[i];
            done.countDown();
          })) {
        start = System.nanoTime();
        for (int i = 0; i < messages; i++) {
          ByteBuffer.wrap(payload).putInt(0, i);
          window.acquire();
          sentAt[i] = System.nanoTime();
          publisher.publish(topic2, Message.of(payload)).whenComplete((ok, e) -> window.release());
        }
        if (!done.await(300, TimeUnit.SECONDS)) {
          throw new IllegalStateException("courier end-to-end: " + done.getCount() + " left");
        }
        rate = messages / ((System.nanoTime() - start) / 1e9);
      }
      deleteQueues(server, topic + ":g", topic2 + ":g", topic, topic2);
      return Result.of(publishRate, rate, latency);
    }
  }

  // ---- raw amqp-client ------------------------------------------------------------------------

  static Result raw(RabbitMqServer server, int messages) throws Exception {
    ConnectionFactory f = new ConnectionFactory();
    f.setHost(server.host());
    f.setPort(server.port());
    f.setUsername(server.username());
    f.setPassword(server.password());
    String name = "bench-raw-" + UUID.randomUUID();
    try (Connection pubConn = f.newConnection("raw-bench-publish");
        Connection subConn = f.newConnection("raw-bench-consume")) {
      Channel admin = subConn.createChannel();
      declare(admin, name);
      declare(admin, name + "-e2e");
      RawPublisher pub = new RawPublisher(pubConn.createChannel());
      byte[] payload = new byte[PAYLOAD_BYTES];
      long start = System.nanoTime();
      for (int i = 0; i < messages; i++) {
        pub.publish(name, payload);
      }
      pub.awaitAll();
      double publishRate = messages / ((System.nanoTime() - start) / 1e9);
      CountDownLatch drained = new CountDownLatch(messages);
      Channel drain = subConn.createChannel();
      consume(drain, name + ":g", (props, body) -> { }, drained);
      if (!drained.await(300, TimeUnit.SECONDS)) {
        throw new IllegalStateException("raw drain: " + drained.getCount() + " left");
      }
      drain.close();
      long[] sentAt = new long[messages];
      long[] latency = new long[messages];
      CountDownLatch done = new CountDownLatch(messages);
      Channel consumer = subConn.createChannel();
      consume(consumer, name + "-e2e:g", (props, body) -> {
        int i = ByteBuffer.wrap(body).getInt(0);
        latency[i] = System.nanoTime() - sentAt[i];
      }, done);
      start = System.nanoTime();
      for (int i = 0; i < messages; i++) {
        ByteBuffer.wrap(payload).putInt(0, i);
        pub.acquire();
        sentAt[i] = System.nanoTime();
        pub.publishAcquired(name + "-e2e", payload);
      }
      if (!done.await(300, TimeUnit.SECONDS)) {
        throw new IllegalStateException("raw end-to-end: " + done.getCount() + " left");
      }
      double rate = messages / ((System.nanoTime() - start) / 1e9);
      consumer.close();
      admin.queueDelete(name + ":g");
      admin.queueDelete(name + "-e2e:g");
      admin.exchangeDelete(name);
      admin.exchangeDelete(name + "-e2e");
      return Result.of(publishRate, rate, latency);
    }
  }

  private static void declare(Channel ch, String topic) throws Exception {
    ch.exchangeDeclare(topic, BuiltinExchangeType.TOPIC, true);
    ch.queueDeclare(topic + ":g", true, false, false, Map.of("x-queue-type", "quorum"));
    ch.queueBind(topic + ":g", topic, "#");
  }

  interface Handler {
    void handle(AMQP.BasicProperties props, byte[] body);
  }

  private static void consume(Channel ch, String queue, Handler handler, CountDownLatch acked) throws Exception {
    ch.basicQos(PREFETCH);
    ch.basicConsume(queue, false, new DefaultConsumer(ch) {
      @Override
      public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body)
          throws java.io.IOException {
        handler.handle(props, body);
        ch.basicAck(envelope.getDeliveryTag(), false);
        acked.countDown();
      }
    });
  }

  /** Publisher confirms with at most WINDOW outstanding, as the Courier run does. */
  private static final class RawPublisher {
    private final Channel ch;
    private final Semaphore window = new Semaphore(WINDOW);
    private final ConcurrentNavigableMap<Long, Boolean> outstanding = new ConcurrentSkipListMap<>();

    RawPublisher(Channel ch) throws Exception {
      this.ch = ch;
      ch.confirmSelect();
      ch.addConfirmListener(new ConfirmListener() {
        @Override
        public void handleAck(long seq, boolean multiple) {
          settle(seq, multiple);
        }

        @Override
        public void handleNack(long seq, boolean multiple) {
          settle(seq, multiple);
        }
      });
    }

    private void settle(long seq, boolean multiple) {
      if (multiple) {
        var head = outstanding.headMap(seq, true);
        int n = head.size();
        head.clear();
        window.release(n);
      } else if (outstanding.remove(seq) != null) {
        window.release();
      }
    }

    void acquire() throws InterruptedException {
      window.acquire();
    }

    void publish(String exchange, byte[] body) throws Exception {
      acquire();
      publishAcquired(exchange, body);
    }

    void publishAcquired(String exchange, byte[] body) throws Exception {
      long seq = ch.getNextPublishSeqNo();
      outstanding.put(seq, Boolean.TRUE);
      AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
          .messageId(UUID.randomUUID().toString()).deliveryMode(2).timestamp(new Date()).build();
      ch.basicPublish(exchange, exchange, true, props, body);
    }

    void awaitAll() throws InterruptedException {
      window.acquire(WINDOW);
      window.release(WINDOW);
    }
  }

  private static void deleteQueues(RabbitMqServer server, String q1, String q2, String x1, String x2) throws Exception {
    ConnectionFactory f = new ConnectionFactory();
    f.setHost(server.host());
    f.setPort(server.port());
    f.setUsername(server.username());
    f.setPassword(server.password());
    try (Connection c = f.newConnection("bench-cleanup"); Channel ch = c.createChannel()) {
      ch.queueDelete(q1);
      ch.queueDelete(q2);
      ch.exchangeDelete(x1);
      ch.exchangeDelete(x2);
    }
  }
}
