package dev.courier.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.Courier;
import dev.courier.Delivery;
import dev.courier.Message;
import dev.courier.PublishInterceptor;
import dev.courier.PublishException;
import dev.courier.inmemory.InMemoryTransport;
import dev.courier.Subscription;
import dev.courier.SubscriptionOptions;
import dev.courier.spi.Transport;
import io.micrometer.core.instrument.Gauge;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Courier metrics in a Micrometer registry, on the in-memory adapter")
class InMemoryMetricsTest extends MetricsContract {
  @Override
  Transport transport() {
    return InMemoryTransport.create();
  }

  @Test
  @DisplayName("alternating between two topics' existing meters allocates nothing, publishing or consuming")
  void alternatingTopicsAllocateNothing() {
    CourierMetrics metrics = CourierMetrics.bind(courier, registry);
    String other = uniqueTopic();
    Delivery a = delivery(topic, group);
    Delivery b = delivery(other, group);
    Message m = text("m");
    CompletableFuture<Void> confirmed = CompletableFuture.completedFuture(null);
    PublishInterceptor.Next next = message -> confirmed;
    Runnable round = () -> {
      metrics.started(a);
      metrics.started(b);
      metrics.around(topic, m, next);
      metrics.around(other, m, next);
    };
    for (int i = 0; i < 20_000; i++) { // creates the meters, and gives the JIT a chance
      round.run();
    }
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long before = threads.getCurrentThreadAllocatedBytes();
    for (int i = 0; i < 10_000; i++) {
      round.run();
    }
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;
    // The old single-entry caches allocated on each switch of topic: 128 bytes a round.
    assertTrue(allocated < 32_768, allocated + " bytes allocated in 10,000 rounds");
  }

  private static Delivery delivery(String topic, String group) {
    Message m = text("d");
    return new Delivery() {
      @Override
      public Message message() {
        return m;
      }

      @Override
      public String topic() {
        return topic;
      }

      @Override
      public String group() {
        return group;
      }

      @Override
      public int attempt() {
        return 1;
      }
    };
  }

  @Test
  @DisplayName("the _other bucket's backlog gauge adds up every group in it, not only the first")
  void otherBucketBacklogCountsEveryGroup() throws Exception {
    CourierMetrics.builder(registry).maxTopics(1).backlogRefresh(Duration.ZERO).bind(courier);
    CountDownLatch release = new CountDownLatch(1);
    List<Subscription> subscriptions = new ArrayList<>();
    try {
      subscriptions.add(courier.subscribe(SubscriptionOptions.builder(topic, group).build(), d -> {}));
      for (int i = 0; i < 2; i++) { // beyond maxTopics: both tagged _other, each holding one message
        String other = uniqueTopic();
        subscriptions.add(courier.subscribe(SubscriptionOptions.builder(other, group).build(),
            d -> release.await(20, TimeUnit.SECONDS)));
        courier.publisher().publish(other, text("held")).get(5, TimeUnit.SECONDS);
      }
      Gauge backlog = registry.find("courier.backlog").tag("messaging.destination.name", "_other").gauge();
      await(() -> backlog.value() == 2.0, "a backlog of 2 in _other (was " + backlog.value() + ")");
    } finally {
      release.countDown();
      subscriptions.forEach(Subscription::close);
    }
  }

  @Test
  @DisplayName("a failed publish is counted with its error type")
  void failedPublish() throws Exception {
    // A broker refusal: the in-memory broker refuses a topic with a full backlog.
    InMemoryTransport small = InMemoryTransport.builder().maxGroupBacklog(1).build();
    try (Courier c = Courier.builder().transport(small).build()) {
      CourierMetrics.bind(c, registry);
      c.admin().ensureGroup(topic, group);
      c.publisher().publish(topic, text("fills the backlog")).get(5, TimeUnit.SECONDS);
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> c.publisher().publish(topic, text("refused")).get(5, TimeUnit.SECONDS));
      assertTrue(e.getCause() instanceof PublishException, e.toString());
      await(() -> registry.find("messaging.client.sent.messages").tag("messaging.destination.name", topic)
          .tags("error.type", e.getCause().getClass().getName()).counter() != null, "the failure is counted");
      assertEquals(1, registry.find("messaging.client.sent.messages").tag("messaging.destination.name", topic)
          .tag("error.type", e.getCause().getClass().getName()).counter().count());
    }
  }
}
