package dev.courier.bench;

import dev.courier.Courier;
import dev.courier.bench.driver.Endpoint;
import dev.courier.bench.driver.Workload;
import dev.courier.config.CourierConfig;
import dev.courier.testsupport.KafkaBroker;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Kafka: the same workload through Courier's adapter, the raw kafka-clients and Spring Cloud
 * Stream's Kafka binder (the peer, its own JVM), against one KRaft broker this benchmark starts in
 * a child JVM: keyed messages ({@value #KEYS} keys) of 1 KiB on topics of {@value #PARTITIONS}
 * partitions; idempotent producers with {@code acks=all}, at most {@value #WINDOW} unconfirmed;
 * one consumer (concurrency 1) in a group. The raw consumer handles each record on its poll thread
 * and commits asynchronously after each poll; Courier commits its contiguous completed offsets.
 */
public final class KafkaBench {
  static final int PAYLOAD_BYTES = 1024;
  static final int PARTITIONS = 4;
  private static final int WINDOW = 20_000;
  private static final int KEYS = 1024;
  static final Workload.Settings SETTINGS = new Workload.Settings(PAYLOAD_BYTES, WINDOW, 0, true);

  private KafkaBench() {}

  public static void main(String[] args) throws Exception {
    System.setProperty("org.slf4j.simpleLogger.log.org.apache.kafka", "warn"); // no client config dumps
    Options options = Options.parse(args, 150_000);
    try (KafkaBroker broker = KafkaBroker.create()) {
      broker.start();
      String bootstrap = broker.bootstrapServers();
      System.out.println("Kafka: " + broker);
      new Harness(options)
          .workload("payloadBytes", PAYLOAD_BYTES).workload("partitions", PARTITIONS).workload("keys", KEYS)
          .workload("publishWindow", WINDOW).workload("concurrency", 1)
          .side("courier", "Courier's Kafka adapter", Harness.Side.of(courier(bootstrap, c -> {}), SETTINGS))
          .side("raw", "raw kafka-clients: KafkaProducer, one KafkaConsumer polling, commitAsync after each poll",
              Harness.Side.of(new RawKafka(bootstrap), SETTINGS))
          .optionalSide("peer", "Spring Cloud Stream Kafka binder (StreamBridge, record-metadata channel for send"
              + " results, functional Consumer, ackMode BATCH)", () -> PeerSide.start("binder=kafka",
              "brokers=" + bootstrap, "payloadBytes=" + PAYLOAD_BYTES, "window=" + WINDOW,
              "partitions=" + PARTITIONS, "concurrency=1"))
          .ratio("courierToRaw", "courier", "raw")
          .ratio("courierToPeer", "courier", "peer")
          .ratio("peerToRaw", "peer", "raw")
          .run();
    }
  }

  /** Courier on Kafka; {@code setup} binds what is measured (metrics, tracing). */
  static CourierEndpoint courier(String bootstrap, Consumer<Courier> setup) {
    Courier courier = Courier.fromConfig(CourierConfig.builder()
        .set("courier.broker", "kafka")
        .set("courier.kafka.bootstrap-servers", bootstrap)
        .set("courier.kafka.partitions", Integer.toString(PARTITIONS))
        .set("courier.publish-timeout", "60s")
        .build());
    setup.accept(courier);
    return new CourierEndpoint(courier).keys(KafkaBench::key).subscription(b -> b.concurrency(1).maxInFlight(4096));
  }

  private static String key(int i) {
    return "key-" + (i % KEYS);
  }

  /** The raw kafka-clients: Courier's producer settings spelled out, a poll loop on its own thread. */
  private static final class RawKafka implements Endpoint {
    private final String bootstrap;
    private final Admin admin;
    private final KafkaProducer<byte[], byte[]> producer;

    RawKafka(String bootstrap) {
      this.bootstrap = bootstrap;
      Properties a = new Properties();
      a.put("bootstrap.servers", bootstrap);
      this.admin = Admin.create(a);
      Properties p = new Properties();
      p.put("bootstrap.servers", bootstrap);
      p.put("client.id", "raw-bench-producer");
      p.put("acks", "all");
      p.put("enable.idempotence", "true");
      p.put("request.timeout.ms", "10000");
      p.put("delivery.timeout.ms", "30000");
      p.put("max.block.ms", "10000");
      p.put("max.request.size", "1048588");
      p.put("key.serializer", ByteArraySerializer.class.getName());
      p.put("value.serializer", ByteArraySerializer.class.getName());
      this.producer = new KafkaProducer<>(p);
    }

    @Override
    public String create(boolean consumed) throws Exception {
      String topic = "bench-raw-" + UUID.randomUUID();
      admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1))).all().get(30, TimeUnit.SECONDS);
      awaitLeaders(topic);
      return topic;
    }

    @Override
    public void publish(String topic, int index, byte[] payload, Confirm confirm) {
      producer.send(new ProducerRecord<>(topic, key(index).getBytes(StandardCharsets.UTF_8), payload),
          (md, e) -> confirm.done(e));
    }

    @Override
    public AutoCloseable consume(String topic, Consumer<ByteBuffer> handler) throws InterruptedException {
      CountDownLatch assigned = new CountDownLatch(1);
      AtomicBoolean stop = new AtomicBoolean();
      Thread poller = new Thread(() -> pollLoop(topic, handler, assigned, stop), "raw-bench-poll");
      poller.start();
      if (!assigned.await(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("raw consumer never got its partitions");
      }
      return () -> {
        stop.set(true);
        poller.join(30_000);
      };
    }

    private void pollLoop(String topic, Consumer<ByteBuffer> handler, CountDownLatch assigned, AtomicBoolean stop) {
      Properties p = new Properties();
      p.put("bootstrap.servers", bootstrap);
      p.put("group.id", "g");
      p.put("enable.auto.commit", "false");
      p.put("auto.offset.reset", "earliest");
      p.put("key.deserializer", ByteArrayDeserializer.class.getName());
      p.put("value.deserializer", ByteArrayDeserializer.class.getName());
      try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
        consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
          @Override
          public void onPartitionsRevoked(Collection<TopicPartition> partitions) {}

          @Override
          public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            assigned.countDown();
          }
        });
        while (!stop.get()) {
          ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
          if (records.isEmpty()) {
            continue;
          }
          Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
          for (ConsumerRecord<byte[], byte[]> r : records) {
            handler.accept(ByteBuffer.wrap(r.value()));
            offsets.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
          }
          consumer.commitAsync(offsets, null);
        }
        consumer.commitSync();
      }
    }

    /** As Courier's ensureTopic does: produce only once the broker serves every partition of the new topic. */
    private void awaitLeaders(String topic) throws Exception {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (System.nanoTime() < deadline) {
        try {
          var d = admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic);
          if (d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty())) {
            Map<TopicPartition, OffsetSpec> probe = new HashMap<>();
            d.partitions().forEach(p -> probe.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
            admin.listOffsets(probe).all().get(10, TimeUnit.SECONDS);
            return;
          }
        } catch (ExecutionException e) {
          // not known yet
        }
        Thread.sleep(20);
      }
      throw new IllegalStateException("no leaders for " + topic);
    }

    @Override
    public void close() {
      producer.close();
      admin.close();
    }
  }
}
