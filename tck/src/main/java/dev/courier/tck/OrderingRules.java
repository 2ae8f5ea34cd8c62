package dev.courier.tck;

import dev.courier.Capability;
import dev.courier.GroupOptions;
import dev.courier.Message;
import dev.courier.tck.internal.Recorder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** TCK-7 ordering: the rules of {@link CourierTck.Ordering}. */
abstract class OrderingRules extends RuleGroup {
  private static final String SEQ = "tck-seq";

  OrderingRules(TckSupport tck) {
    super(tck);
  }

  @Test
  @DisplayName("TCK-7.1 messages with the same key are handled one at a time, in publish order, with concurrency 8")
  void orderedByKey() {
    requires(Capability.ORDERED_BY_KEY);
    String topic = name("order");
    String group = name("g");
    // Ordered from creation: some brokers fix ordering when a group is created.
    courier().admin().ensureGroup(topic, group, GroupOptions.defaults().withOrderedByKey(true));
    int keys = 8;
    int perKey = 60;
    Map<String, AtomicInteger> active = new ConcurrentHashMap<>();
    List<String> violations = Collections.synchronizedList(new ArrayList<>());
    Map<String, Integer> next = new ConcurrentHashMap<>();
    Recorder r = recorder();
    subscribe(courier(), options(topic, group).concurrency(8).maxInFlight(32).orderedByKey(true).build(),
        r.handler(d -> {
          String key = d.message().key().orElseThrow();
          int seq = Integer.parseInt(d.message().headers().get(SEQ).orElseThrow());
          if (active.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet() > 1) {
            violations.add("two messages of key " + key + " were handled at the same time");
          }
          LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(300));
          int expected = next.getOrDefault(key, 0);
          if (seq != expected && d.attempt() == 1) {
            violations.add("key " + key + ": message #" + seq + " was handled when #" + expected + " was due");
          }
          next.put(key, Math.max(expected, seq + 1));
          active.get(key).decrementAndGet();
        }));
    List<CompletableFuture<Void>> futures = new ArrayList<>();
    Set<String> expected = new HashSet<>();
    for (int i = 0; i < perKey; i++) {
      for (int k = 0; k < keys; k++) {
        Message m = Message.builder().key("key-" + k).header(SEQ, Integer.toString(i))
            .payload(new byte[] {(byte) i}).build();
        expected.add(m.id());
        futures.add(courier().publisher().publish(topic, m));
      }
    }
    confirm(futures);
    boolean all = r.awaitCompleted(expected, patience());
    check(violations.isEmpty(), violations.size() + " ordering violations, first: "
            + violations.stream().limit(3).toList(),
        "that same-key messages are handed over in publish order and only after the previous one was settled");
    check(all, missing(expected, r.completedIds()), "that ordered delivery does not stall a key");
  }
}
