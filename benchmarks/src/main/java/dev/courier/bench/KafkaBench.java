package dev.courier.bench;

import dev.courier.bench.Comparison.Result;
import dev.courier.Courier;
import dev.courier.Message;
import dev.courier.Publisher;
import dev.courier.Subscription;
import dev.courier.SubscriptionOptions;
import dev.courier.config.CourierConfig;
import dev.courier.testsupport.KafkaBroker;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
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
 * The same workload through Courier's Kafka adapter and through the raw kafka-clients, against the
 * same broker (a KRaft node this benchmark starts in a child JVM) in the same run: N keyed
 * messages of 1 KiB on a topic of {@value #PARTITIONS} partitions; the same producer settings
 * (idempotent, {@code acks=all}, at most {@value #WINDOW} unconfirmed); the raw consumer polls,
 * handles each record on its poll thread and commits manually (async) after each poll, Courier's
 * consumer commits its contiguous completed offsets.
 * <ul>
 *   <li>publish: N messages with nobody consuming, until every send is confirmed;
 *   <li>end-to-end: N messages published while a consumer group handles them, until the last is
 *       handled; latency is publish → handler.
 * </ul>
 * Each side runs three times, alternating; the best run of each counts (the machine is shared).
 */
public final class KafkaBench {
  private static final int PAYLOAD_BYTES = 1024;
  private static final int WINDOW = 20_000;
  private static final int PARTITIONS = 4;
  private static final int KEYS = 1024;
  /** Courier's handler threads; the raw consumer handles records on its one poll thread. */
  /** Alternating runs per side; the best of each counts (other work shares this 2-core machine). */
  private static final int ROUNDS = Integer.getInteger("bench.rounds", 3);
  private static final int CONCURRENCY = Integer.getInteger("bench.concurrency", 1);

  private KafkaBench() {}

  public static void main(String[] args) throws Exception {
    System.setProperty("org.slf4j.simpleLogger.log.org.apache.kafka", "warn"); // no client config dumps
    Path out = Path.of(args[1]);
    int messages = args.length > 2 ? Integer.parseInt(args[2]) : 200_000;
    try (KafkaBroker broker = KafkaBroker.create()) {
      broker.start();
      String bootstrap = broker.bootstrapServers();
      System.out.println("Kafka: " + broker);
      raw(bootstrap, 20_000);
      courier(bootstrap, 20_000);
      Result raw = raw(bootstrap, messages);
      Result courier = courier(bootstrap, messages);
      for (int round = 1; round < ROUNDS; round++) {
        raw = raw.best(raw(bootstrap, messages));
        courier = courier.best(courier(bootstrap, messages));
      }
      Comparison.report("kafka", "raw kafka-clients", messages, PAYLOAD_BYTES, raw, courier,
          Map.of("partitions", PARTITIONS, "publishWindow", WINDOW), out);
    }
  }

  private static String key(int i) {
    return "key-" + (i % KEYS);
  }

  // ---- Courier -------------------------------------------------------------------------------

  static Result courier(String bootstrap, int messages) throws Exception {
    return courier(bootstrap, messages, courier -> {});
  }

  /** As {@link #courier(String, int)}, {@code setup} binding what it measures (metrics, tracing) first. */
  static Result courier(String bootstrap, int messages, java.util.function.Consumer<Courier> setup) throws Exception {
    String topic = "bench-courier-" + UUID.randomUUID();
    try (Courier courier = Courier.fromConfig(CourierConfig.builder()
        .set("courier.broker", "kafka")
        .set("courier.kafka.bootstrap-servers", bootstrap)
        .set("courier.kafka.partitions", Integer.toString(PARTITIONS))
        .set("courier.publish-timeout", "60s")
        .build())) {
      setup.accept(courier);
      Publisher publisher = courier.publisher();
      courier.admin().ensureTopic(topic);
      byte[] payload = new byte[PAYLOAD_BYTES];
      Semaphore window = new Semaphore(WINDOW);
      AtomicBoolean failed = new AtomicBoolean();
      long start = System.nanoTime();
      for (int i = 0; i < messages; i++) {
        window.acquire();
        publisher.publish(topic, Message.builder().key(key(i)).payload(payload).build()).whenComplete((ok, e) -> {
          if (e != null) {
            failed.set(true);
          }
          window.release();
        });
      }
      window.acquire(WINDOW);
      window.release(WINDOW);
      double publishRate = messages / ((System.nanoTime() - start) / 1e9);
      check(!failed.get(), "courier publish: a publish failed");

      String topic2 = topic + "-e2e";
      courier.admin().ensureGroup(topic2, "g");
      long[] sentAt = new long[messages];
      long[] latency = new long[messages];
      CountDownLatch done = new CountDownLatch(messages);
      double rate;
      try (Subscription s = courier.subscribe(SubscriptionOptions.builder(topic2, "g").concurrency(CONCURRENCY)
          .maxInFlight(4096).build(), d -> {
            int i = d.message().payloadBuffer().getInt(0);
            latency[i] = System.nanoTime() - sentAt[i];
            done.countDown();
          })) {
        start = System.nanoTime();
        for (int i = 0; i < messages; i++) {
          ByteBuffer.wrap(payload).putInt(0, i);
          window.acquire();
          sentAt[i] = System.nanoTime();
          publisher.publish(topic2, Message.builder().key(key(i)).payload(payload).build())
              .whenComplete((ok, e) -> window.release());
        }
        check(done.await(300, TimeUnit.SECONDS), "courier end-to-end: " + done.getCount() + " left");
        rate = messages / ((System.nanoTime() - start) / 1e9);
      }
      window.acquire(WINDOW);
      window.release(WINDOW);
      return Result.of(publishRate, rate, latency);
    }
  }

  // ---- raw kafka-clients ----------------------------------------------------------------------

  /** Courier's producer settings, spelled out. */
  private static Properties producerProps(String bootstrap) {
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
    return p;
  }

  static Result raw(String bootstrap, int messages) throws Exception {
    String topic = "bench-raw-" + UUID.randomUUID();
    String topic2 = topic + "-e2e";
    Properties adminProps = new Properties();
    adminProps.put("bootstrap.servers", bootstrap);
    try (Admin admin = Admin.create(adminProps);
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps(bootstrap))) {
      admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1), new NewTopic(topic2, PARTITIONS, (short) 1)))
          .all().get(30, TimeUnit.SECONDS);
      awaitLeaders(admin, topic);
      awaitLeaders(admin, topic2);
      byte[] payload = new byte[PAYLOAD_BYTES];
      Semaphore window = new Semaphore(WINDOW);
      AtomicBoolean failed = new AtomicBoolean();
      long start = System.nanoTime();
      for (int i = 0; i < messages; i++) {
        window.acquire();
        producer.send(new ProducerRecord<>(topic, key(i).getBytes(StandardCharsets.UTF_8), payload.clone()), (md, e) -> {
          if (e != null) {
            failed.set(true);
          }
          window.release();
        });
      }
      window.acquire(WINDOW);
      window.release(WINDOW);
      double publishRate = messages / ((System.nanoTime() - start) / 1e9);
      check(!failed.get(), "raw publish: a send failed");

      long[] sentAt = new long[messages];
      long[] latency = new long[messages];
      CountDownLatch done = new CountDownLatch(messages);
      CountDownLatch assigned = new CountDownLatch(1);
      AtomicBoolean stop = new AtomicBoolean();
      Thread poller = new Thread(() -> pollLoop(bootstrap, topic2, sentAt, latency, done, assigned, stop), "raw-bench-poll");
      poller.start();
      check(assigned.await(30, TimeUnit.SECONDS), "raw consumer never got its partitions");
      start = System.nanoTime();
      for (int i = 0; i < messages; i++) {
        ByteBuffer.wrap(payload).putInt(0, i);
        window.acquire();
        sentAt[i] = System.nanoTime();
        producer.send(new ProducerRecord<>(topic2, key(i).getBytes(StandardCharsets.UTF_8), payload.clone()),
            (md, e) -> window.release());
      }
      check(done.await(300, TimeUnit.SECONDS), "raw end-to-end: " + done.getCount() + " left");
      double rate = messages / ((System.nanoTime() - start) / 1e9);
      stop.set(true);
      poller.join(30_000);
      return Result.of(publishRate, rate, latency);
    }
  }

  private static void pollLoop(String bootstrap, String topic, long[] sentAt, long[] latency, CountDownLatch done,
      CountDownLatch assigned, AtomicBoolean stop) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("group.id", "g");
    p.put("enable.auto.commit", "false");
    p.put("auto.offset.reset", "earliest");
    p.put("key.deserializer", ByteArrayDeserializer.class.getName());
    p.put("value.deserializer", ByteArrayDeserializer.class.getName());
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
      consumer.subscribe(List.of(topic), new org.apache.kafka.clients.consumer.ConsumerRebalanceListener() {
        @Override
        public void onPartitionsRevoked(java.util.Collection<TopicPartition> partitions) {}

        @Override
        public void onPartitionsAssigned(java.util.Collection<TopicPartition> partitions) {
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
          int i = ByteBuffer.wrap(r.value()).getInt(0);
          latency[i] = System.nanoTime() - sentAt[i];
          done.countDown();
          offsets.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
        }
        consumer.commitAsync(offsets, null);
      }
      consumer.commitSync();
    }
  }

  /** As Courier's ensureTopic does: produce only once the broker serves every partition of the new topic. */
  private static void awaitLeaders(Admin admin, String topic) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      try {
        var d = admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic);
        if (d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty())) {
          Map<TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> probe = new HashMap<>();
          d.partitions().forEach(p -> probe.put(new TopicPartition(topic, p.partition()),
              org.apache.kafka.clients.admin.OffsetSpec.latest()));
          admin.listOffsets(probe).all().get(10, TimeUnit.SECONDS);
          return;
        }
      } catch (java.util.concurrent.ExecutionException e) {
        // not known yet
      }
      Thread.sleep(20);
    }
    throw new IllegalStateException("no leaders for " + topic);
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new IllegalStateException(message);
    }
  }
}
