package dev.courier.inmemory.reliability;

import dev.courier.testsupport.Poll;
import dev.courier.Courier;
import dev.courier.Message;
import dev.courier.RetryPolicy;
import dev.courier.SubscriptionOptions;
import dev.courier.inmemory.InMemoryTransport;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** One Courier on a private in-memory broker (behind a fault injector) per test, unique names. */
abstract class ReliabilityFixture {
  static final Duration DEADLINE = Duration.ofSeconds(15);
  private static final AtomicLong SEQ = new AtomicLong();

  FaultyTransport transport;
  RecordingListener events;
  Courier courier;
  String topic;
  String group;

  @BeforeEach
  void startCourier() {
    transport = new FaultyTransport(InMemoryTransport.create());
    events = new RecordingListener();
    courier = Courier.builder().transport(transport).listener(events)
        .redriveIdleTimeout(Duration.ofSeconds(2)).build();
    long n = SEQ.incrementAndGet();
    topic = "orders-" + n + "-" + System.nanoTime();
    group = "billing";
    courier.admin().ensureGroup(topic, group);
  }

  @AfterEach
  void stopCourier() throws InterruptedException {
    courier.close();
    events.assertBalanced();
  }

  String deadLetterTopic() {
    return topic + "." + group + ".dlq";
  }

  /** Fast tiers: in-process retries without waiting, broker redeliveries after 10 ms. */
  static RetryPolicy.Builder fastRetry() {
    return RetryPolicy.builder().initialInterval(Duration.ZERO).maxInterval(Duration.ZERO)
        .redeliveryInitialDelay(Duration.ofMillis(10)).redeliveryMaxDelay(Duration.ofMillis(10));
  }

  SubscriptionOptions.Builder options(RetryPolicy retry) {
    return SubscriptionOptions.builder(topic, group).retry(retry);
  }

  static Message text(String s) {
    return Message.builder().payload(s.getBytes(StandardCharsets.UTF_8)).build();
  }

  static void await(BooleanSupplier condition, String what) throws InterruptedException {
    Poll.await(condition, what);
  }

  void publish(Message m) throws Exception {
    courier.publisher().publish(topic, m).get(5, TimeUnit.SECONDS);
  }

}
