package dev.courier.tck;

import dev.courier.Capability;
import dev.courier.Courier;
import dev.courier.Message;
import dev.courier.tck.internal.Recorder;
import dev.courier.tck.internal.Recorder.Call;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** TCK-3 delivery: the rules of {@link CourierTck.AtLeastOnce}. */
abstract class DeliveryRules extends RuleGroup {
  DeliveryRules(TckSupport tck) {
    super(tck);
  }

  @Test
  @DisplayName("TCK-3.1 at least once: 2000 messages from 4 concurrent publishers all arrive (duplicates are counted in the report)")
  void atLeastOnce() throws Exception {
    String topic = name("alo");
    String group = name("g");
    courier().admin().ensureGroup(topic, group);
    Recorder r = recorder();
    subscribe(courier(), options(topic, group).concurrency(4).build(), r.handler());
    int publishers = 4;
    int each = 500;
    Set<String> expected = ConcurrentHashMap.newKeySet();
    ExecutorService pool = Executors.newFixedThreadPool(publishers);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int p = 0; p < publishers; p++) {
        int publisher = p;
        Courier c = p % 2 == 0 ? courier() : newCourier();
        done.add(pool.submit(() -> {
          List<Message> batch = messages("p" + publisher, each);
          batch.forEach(m -> expected.add(m.id()));
          publish(c, topic, batch);
        }));
      }
      for (Future<?> f : done) {
        try {
          f.get(patience().toMillis() * 2, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
          if (e.getCause() instanceof AssertionError failure) {
            throw failure; // already quotes the rule
          }
          throw e;
        }
      }
    } finally {
      pool.shutdownNow();
    }
    boolean all = r.awaitCompleted(expected, patience());
    recordDuplicates(r.completed().size() - r.completedIds().size());
    check(all, missing(expected, r.completedIds()),
        "that no confirmed message is dropped under concurrent publishing and consumption");
  }

  @Test
  @DisplayName("TCK-3.2 competing consumers in one group share the work, each message handled once unless redelivered")
  void competingConsumers() {
    String topic = name("compete");
    String group = name("g");
    courier().admin().ensureGroup(topic, group);
    Recorder a = recorder();
    Recorder b = recorder();
    Recorder.Action slow = d -> LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
    subscribe(courier(), options(topic, group).concurrency(2).maxInFlight(4).build(), a.handler(slow));
    subscribe(newCourier(), options(topic, group).concurrency(2).maxInFlight(4).build(), b.handler(slow));
    List<Message> sent = publish(courier(), topic, messages("work", 300));
    Set<String> expected = ids(sent);
    boolean all = await(patience(), () -> union(a, b).containsAll(expected));
    check(all, missing(expected, union(a, b)), "that competing consumers of one group together get every message");
    check(!a.completed().isEmpty() && !b.completed().isEmpty(),
        "one consumer handled all " + sent.size() + " messages (a: " + a.completed().size() + ", b: "
            + b.completed().size() + ")",
        "that the group's messages are spread over its consumers and maxInFlight holds a consumer back");
    List<Call> calls = new ArrayList<>(a.started());
    calls.addAll(b.started());
    Map<String, Integer> handled = new LinkedHashMap<>();
    Set<String> redelivered = new HashSet<>();
    for (Call c : calls) {
      handled.merge(c.id(), 1, Integer::sum);
      if (c.delivery().attempt() > 1) {
        redelivered.add(c.id());
      }
    }
    List<String> twice = handled.entrySet().stream()
        .filter(e -> e.getValue() > 1 && !redelivered.contains(e.getKey())).map(Map.Entry::getKey).toList();
    recordDuplicates(calls.size() - handled.size());
    check(twice.isEmpty(), twice.size() + " messages were handled by more than one consumer with attempt 1 (e.g. "
            + twice.stream().limit(3).toList() + ")",
        "that each message of a group goes to one consumer at a time, and a redelivery counts a new attempt");
  }

  private static Set<String> union(Recorder a, Recorder b) {
    Set<String> s = new HashSet<>(a.completedIds());
    s.addAll(b.completedIds());
    return s;
  }

  @Test
  @DisplayName("TCK-3.3 fan-out: every group on a topic gets every message")
  void fanOut() {
    requires(Capability.FAN_OUT);
    String topic = name("fan");
    List<Recorder> groups = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      String group = name("g" + i);
      courier().admin().ensureGroup(topic, group);
      Recorder r = recorder();
      groups.add(r);
      subscribe(i == 0 ? courier() : newCourier(), options(topic, group).build(), r.handler());
    }
    Set<String> expected = ids(publish(courier(), topic, messages("fan", 100)));
    for (int i = 0; i < groups.size(); i++) {
      Recorder r = groups.get(i);
      check(r.awaitCompleted(expected, patience()), "group " + i + ": " + missing(expected, r.completedIds()),
          "that each group is an independent durable subscription receiving every message (FAN_OUT)");
    }
  }

  @Test
  @DisplayName("TCK-3.4 a group provisioned before publishing receives messages published before it subscribed")
  void provisionedGroupKeepsMessages() {
    String topic = name("prov");
    String group = name("g");
    courier().admin().ensureGroup(topic, group);
    Set<String> expected = ids(publish(courier(), topic, messages("early", 20)));
    Recorder r = recorder();
    subscribe(newCourier(), options(topic, group).build(), r.handler());
    check(r.awaitCompleted(expected, patience()), missing(expected, r.completedIds()),
        "that ensureGroup() creates a durable group that keeps messages until someone subscribes");
  }

  @Test
  @DisplayName("TCK-3.5 topics are isolated: a group receives only its own topic's messages")
  void topicsAreIsolated() {
    String topicA = name("iso-a");
    String topicB = name("iso-b");
    String group = name("g");
    courier().admin().ensureGroup(topicA, group);
    courier().admin().ensureGroup(topicB, group);
    Recorder a = recorder();
    Recorder b = recorder();
    subscribe(courier(), options(topicA, group).build(), a.handler());
    subscribe(courier(), options(topicB, group).build(), b.handler());
    Set<String> toB = ids(publish(courier(), topicB, messages("b", 30)));
    Set<String> toA = ids(publish(courier(), topicA, messages("a", 30)));
    check(a.awaitCompleted(toA, patience()), "topic A: " + missing(toA, a.completedIds()),
        "that messages reach the topic they were published to");
    check(b.awaitCompleted(toB, patience()), "topic B: " + missing(toB, b.completedIds()),
        "that messages reach the topic they were published to");
    Set<String> leakedToA = new HashSet<>(a.completedIds());
    leakedToA.retainAll(toB);
    Set<String> leakedToB = new HashSet<>(b.completedIds());
    leakedToB.retainAll(toA);
    check(leakedToA.isEmpty() && leakedToB.isEmpty(),
        leakedToA.size() + " messages of topic B reached topic A's group and " + leakedToB.size()
            + " of topic A reached topic B's group (the groups have the same name)",
        "that topic names (and groups of the same name on different topics) map to separate broker entities");
  }
}
