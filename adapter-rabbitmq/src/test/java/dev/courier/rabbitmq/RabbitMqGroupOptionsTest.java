package dev.courier.rabbitmq;

import java.time.Duration;
import dev.courier.testsupport.Poll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import dev.courier.Courier;
import dev.courier.GroupOptions;
import dev.courier.IncompatibleGroupException;
import dev.courier.Message;
import dev.courier.SubscriptionOptions;
import dev.courier.rabbitmq.internal.Topology;
import dev.courier.testsupport.RabbitMqServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Ordering is fixed when RabbitMQ declares a group's queue: group options at creation. */
@DisplayName("RabbitMQ group options against the shared server")
class RabbitMqGroupOptionsTest {
  private static final GroupOptions ORDERED = GroupOptions.defaults().withOrderedByKey(true);
  private final List<Courier> couriers = new ArrayList<>();
  private final String topic = "test-" + LeftoverQueues.RUN + "-" + UUID.randomUUID();
  private final String group = "g";

  @AfterAll
  static void deleteQueues() {
    LeftoverQueues.deleteStartingWith("test-" + LeftoverQueues.RUN + "-");
  }

  @AfterEach
  void cleanUp() throws Exception {
    couriers.forEach(Courier::close);
    var f = RabbitMqTransport.connectionFactory(settings());
    try (Connection c = f.newConnection("courier-test-cleanup"); Channel ch = c.createChannel()) {
      ch.queueDelete(Topology.queueName(topic, group));
      ch.exchangeDelete(topic);
    }
  }

  private static RabbitMqSettings settings() {
    return RabbitMqSettings.builder().uri(RabbitMqServer.shared().uri()).connectionName("courier-test").build();
  }

  private Courier courier() {
    Courier c = Courier.builder().transport(RabbitMqTransport.connect(settings())).build();
    couriers.add(c);
    return c;
  }

  @Test
  @DisplayName("an ordered subscription to a group created unordered fails with IncompatibleGroupException naming the group")
  void orderedSubscriptionToUnorderedGroupFails() {
    courier().admin().ensureGroup(topic, group);
    for (Courier c : List.of(couriers.get(0), courier())) { // the one that declared it, and a fresh connection
      IncompatibleGroupException e = assertThrows(IncompatibleGroupException.class,
          () -> c.subscribe(SubscriptionOptions.builder(topic, group).orderedByKey(true).build(), d -> {}));
      assertTrue(e.getMessage().contains("group '" + group + "' of topic '" + topic + "'")
          && e.getMessage().contains("x-single-active-consumer"), e.getMessage());
      assertThrows(IncompatibleGroupException.class, () -> c.admin().ensureGroup(topic, group, ORDERED));
    }
  }

  @Test
  @DisplayName("a group created ordered has a single active consumer and serves ordered and unordered subscriptions")
  void orderedGroupServesBoth() throws Exception {
    courier().admin().ensureGroup(topic, group, ORDERED);
    var f = RabbitMqTransport.connectionFactory(settings());
    try (Connection c = f.newConnection("courier-test-check"); Channel ch = c.createChannel()) {
      // RabbitMQ accepts a re-declaration only with the same arguments.
      ch.queueDeclare(Topology.queueName(topic, group), true, false, false,
          Map.of("x-queue-type", "quorum", "x-single-active-consumer", true));
    }
    Set<String> seen = ConcurrentHashMap.newKeySet();
    courier().subscribe(SubscriptionOptions.builder(topic, group).build(), d -> seen.add("unordered"));
    courier().subscribe(SubscriptionOptions.builder(topic, group).orderedByKey(true).build(), d -> seen.add("ordered"));
    couriers.get(0).admin().ensureGroup(topic, group); // unordered ensureGroup accepts it as it is
    couriers.get(0).publisher().publish(topic, Message.of(new byte[] {1})).get(10, TimeUnit.SECONDS);
    Poll.until(Duration.ofSeconds(20), () -> !seen.isEmpty());
    assertEquals(Set.of("unordered"), seen, "the first subscriber is the single active consumer");
  }
}
