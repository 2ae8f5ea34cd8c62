package dev.courier.tck;

import dev.courier.Subscription;
import dev.courier.SubscriptionOptions;
import dev.courier.tck.internal.Recorder;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** TCK-8 flow control: the rules of {@link CourierTck.FlowControl}. */
abstract class FlowControlRules extends RuleGroup {
  FlowControlRules(TckSupport tck) {
    super(tck);
  }

  @Test
  @DisplayName("TCK-8.1 no more than concurrency handlers run at once")
  void concurrencyBound() {
    String topic = name("conc");
    String group = name("g");
    courier().admin().ensureGroup(topic, group);
    AtomicInteger active = new AtomicInteger();
    AtomicInteger max = new AtomicInteger();
    Recorder r = recorder();
    subscribe(courier(), options(topic, group).concurrency(3).maxInFlight(12).build(), r.handler(d -> {
      max.accumulateAndGet(active.incrementAndGet(), Math::max);
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(3));
      active.decrementAndGet();
    }));
    Set<String> expected = ids(publish(courier(), topic, messages("conc", 120)));
    check(r.awaitCompleted(expected, patience()), missing(expected, r.completedIds()),
        "that every message arrives");
    check(max.get() <= 3, max.get() + " handlers ran at once with concurrency 3",
        "the core's handler dispatch (SubscriptionOptions.concurrency)");
  }

  @Test
  @DisplayName("TCK-8.2 the adapter never hands over more than maxInFlight unsettled deliveries, counted at the SPI, and no message is redelivered without a failure")
  void maxInFlightBound() {
    String topic = name("inflight");
    String group = name("g");
    courier().admin().ensureGroup(topic, group);
    Recorder r = recorder();
    Subscription s = subscribe(courier(), options(topic, group).concurrency(2).maxInFlight(4).build(),
        r.handler(d -> LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5))));
    Set<String> expected = ids(publish(courier(), topic, messages("flow", 80)));
    check(r.awaitCompleted(expected, patience()), missing(expected, r.completedIds()), "that every message arrives");
    check(s.inFlight().peak() <= 4, "the adapter handed over " + s.inFlight().peak()
            + " deliveries that were unsettled at once, with maxInFlight 4",
        "that receive() keeps at most ReceiveSpec.maxInFlight() deliveries unsettled (counted by the core as the "
            + "adapter hands them over, until settled or withdrawn)");
    List<Integer> attempts = r.started().stream().map(c -> c.delivery().attempt()).filter(a -> a > 1).toList();
    check(attempts.isEmpty(), attempts.size() + " deliveries arrived as redeliveries (attempts "
            + attempts.stream().limit(5).toList() + ") although no handler failed",
        "that receive() keeps at most ReceiveSpec.maxInFlight() deliveries unsettled: the core returns "
            + "every delivery beyond it to the broker");
  }
}
