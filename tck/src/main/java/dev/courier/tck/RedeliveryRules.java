package dev.courier.tck;

import dev.courier.Capability;
import dev.courier.CourierHeaders;
import dev.courier.DeadLetters;
import dev.courier.GroupOptions;
import dev.courier.Message;
import dev.courier.RetryPolicy;
import dev.courier.SubscriptionOptions;
import dev.courier.tck.internal.FailurePattern;
import dev.courier.tck.internal.Recorder;
import dev.courier.tck.internal.Recorder.Call;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** TCK-4 redelivery: the rules of {@link CourierTck.Redelivery}. */
abstract class RedeliveryRules extends RuleGroup {
  RedeliveryRules(TckSupport tck) {
    super(tck);
  }

  @Test
  @DisplayName("TCK-4.1 a failing handler sees the message again, with attempt numbers 1, 2, 3 in order")
  void redeliveredWithIncreasingAttempts() {
    String topic = name("redeliver");
    Recorder r = recorder();
    RetryPolicy retry = RetryPolicy.builder().maxInProcessAttempts(1).maxDeliveries(5)
        .redeliveryInitialDelay(Duration.ofMillis(10)).redeliveryMaxDelay(Duration.ofMillis(50)).build();
    subscribe(courier(), options(topic, name("g")).retry(retry).build(), r.handler(d -> {
      if (d.attempt() < 3) {
        throw new IllegalStateException("tck: failing attempt " + d.attempt() + " on purpose");
      }
    }));
    Message sent = publish(courier(), topic, messages("retry", 1)).get(0);
    boolean done = r.awaitCompleted(Set.of(sent.id()), patience());
    List<Integer> attempts = r.started().stream().map(c -> c.delivery().attempt()).toList();
    check(done, "the message was handled with attempts " + attempts + " and never succeeded",
        "that nack(delay) returns the message to the group and that it is delivered again");
    check(attempts.equals(List.of(1, 2, 3)), "the handler saw attempts " + attempts + ", expected [1, 2, 3]",
        "TransportDelivery.deliveryCount(): 1 on the first delivery, +1 on every redelivery of the message");
  }

  @Test
  @DisplayName("TCK-4.2 redelivery through the broker honours the policy's growing delay")
  void brokerRedeliverySpacing() {
    requires(Capability.DELAYED_REDELIVERY);
    String topic = name("spacing");
    Recorder r = recorder();
    RetryPolicy retry = RetryPolicy.builder().maxInProcessAttempts(1).maxDeliveries(5)
        .redeliveryInitialDelay(Duration.ofMillis(200)).redeliveryMultiplier(2)
        .redeliveryMaxDelay(Duration.ofSeconds(2)).build();
    subscribe(courier(), options(topic, name("g")).retry(retry).build(), r.handler(d -> {
      if (d.attempt() < 3) {
        throw new IllegalStateException("tck: failing attempt " + d.attempt() + " on purpose");
      }
    }));
    publish(courier(), topic, messages("spaced", 1));
    check(r.awaitCompletedIds(1, patience()), "the message was not handled successfully on attempt 3",
        "that nack(delay) redelivers the message");
    List<Call> calls = r.started();
    long gap1 = millisBetween(calls.get(0), calls.get(1));
    long gap2 = millisBetween(calls.get(1), calls.get(2));
    check(gap1 >= 160 && gap2 >= 320,
        "redeliveries came " + gap1 + " ms and " + gap2 + " ms apart; the policy asks for 200 ms then 400 ms",
        "that nack(redeliverAfter) hides the message for at least redeliverAfter (DELAYED_REDELIVERY)");
    check(gap1 < 5200 && gap2 < 5400, // generous: a loaded machine stalls; the lower bounds are the rule
        "redeliveries came " + gap1 + " ms and " + gap2 + " ms apart; far later than the policy's 200 ms then 400 ms",
        "that a nacked message becomes visible again soon after its delay");
  }

  @Test
  @DisplayName("TCK-4.3 in-process retries honour the policy's backoff and count as attempts")
  void inProcessRetrySpacing() {
    String topic = name("backoff");
    Recorder r = recorder();
    RetryPolicy retry = RetryPolicy.builder().maxInProcessAttempts(3).initialInterval(Duration.ofMillis(100))
        .multiplier(2).maxInterval(Duration.ofSeconds(1)).randomizationFactor(0).maxDeliveries(2)
        .redeliveryInitialDelay(Duration.ofSeconds(5)).redeliveryMaxDelay(Duration.ofSeconds(5)).build();
    subscribe(courier(), options(topic, name("g")).retry(retry).build(), r.handler(d -> {
      if (d.attempt() < 3) {
        throw new IllegalStateException("tck: failing attempt " + d.attempt() + " on purpose");
      }
    }));
    publish(courier(), topic, messages("backoff", 1));
    check(r.awaitCompletedIds(1, patience()), "the message never succeeded (attempts seen: "
            + r.started().stream().map(c -> c.delivery().attempt()).toList() + ")",
        "the core's in-process retry (RetryPolicy.maxInProcessAttempts)");
    List<Call> calls = r.started();
    List<Integer> attempts = calls.stream().map(c -> c.delivery().attempt()).toList();
    check(attempts.equals(List.of(1, 2, 3)), "attempts were " + attempts + ", expected [1, 2, 3]",
        "that in-process retries count as attempts");
    long gap1 = millisBetween(calls.get(0), calls.get(1));
    long gap2 = millisBetween(calls.get(1), calls.get(2));
    check(gap1 >= 90 && gap2 >= 180 && gap1 < 4000 && gap2 < 4000, // below the 5 s broker redelivery
        "retries came " + gap1 + " ms and " + gap2 + " ms apart; the policy asks for 100 ms then 200 ms, "
            + "in process (a broker redelivery would take 5 s)",
        "the core's retry backoff (RetryPolicy.initialInterval, multiplier)");
  }

  @Test
  @DisplayName("TCK-4.4 under load, with a handler failing on a fixed pattern, every message is handled or dead-lettered as the policy says, never both, and each subscriber keeps per-key order where declared")
  void failurePatternUnderLoad() {
    String topic = name("pattern");
    String group = name("g");
    boolean ordered = declared().has(Capability.ORDERED_BY_KEY);
    courier().admin().ensureGroup(topic, group, GroupOptions.defaults().withOrderedByKey(ordered));
    DeadLetters dl = courier().admin().deadLetters(topic, group);
    String observer = name("dlobs");
    courier().admin().ensureGroup(dl.topic(), observer);
    Recorder dead = recorder();
    subscribe(newCourier(), options(dl.topic(), observer).build(), dead.handler());
    int subscribers = 3;
    FailurePattern pattern = new FailurePattern(2_000, 8, subscribers);
    RetryPolicy retry = RetryPolicy.builder().maxInProcessAttempts(1).maxDeliveries(3)
        .redeliveryInitialDelay(Duration.ofMillis(10)).redeliveryMaxDelay(Duration.ofMillis(50)).build();
    SubscriptionOptions opts = options(topic, group).concurrency(4).maxInFlight(32).orderedByKey(ordered)
        .retry(retry).build();
    Recorder r = recorder();
    for (int i = 0; i < subscribers; i++) {
      int subscriber = i;
      subscribe(i == 0 ? courier() : newCourier(), opts, r.handler(d -> pattern.handle(subscriber, d)));
    }
    publish(courier(), topic, pattern.messages());
    Set<String> toHandle = pattern.succeeding();
    Set<String> toDeadLetter = pattern.poison();
    boolean all = await(patience().multipliedBy(2),
        () -> r.completedIds().containsAll(toHandle) && dead.completedIds().containsAll(toDeadLetter));
    recordDuplicates(r.completed().size() - r.completedIds().size()
        + dead.completed().size() - dead.completedIds().size());
    check(all, "handled: " + missing(toHandle, r.completedIds()) + "; dead-lettered: "
            + missing(toDeadLetter, dead.completedIds()),
        "that a nacked delivery comes back until maxDeliveries (every 10th message fails once, every 97th always) "
            + "and is then dead-lettered, with 3 consumers competing");
    Set<String> wronglyDead = new TreeSet<>(dead.completedIds());
    wronglyDead.removeAll(toDeadLetter);
    check(wronglyDead.isEmpty(), wronglyDead.size() + " messages that succeed on a later attempt were dead-lettered "
            + "too (e.g. " + wronglyDead.stream().limit(3).toList() + ")",
        "TransportDelivery.deliveryCount(): a message is dead-lettered only after maxDeliveries failed deliveries");
    List<String> attempts = dead.completed().stream().map(c -> c.delivery().message().headers()
        .get(CourierHeaders.DLQ_ATTEMPTS).orElse("none")).filter(a -> !a.equals("3")).toList();
    check(attempts.isEmpty(), attempts.size() + " dead letters carry " + CourierHeaders.DLQ_ATTEMPTS + " "
        + attempts.stream().distinct().limit(3).toList() + "; maxDeliveries is 3", "the attempt count under load");
    check(!ordered || pattern.overtaken().isEmpty(), pattern.overtaken().size() + " messages were handled for the "
            + "first time after their subscriber had handled a later message of their key, e.g. "
            + pattern.overtaken().stream().limit(3).toList(),
        "that a subscriber with orderedByKey is handed same-key messages in publish order while others fail and "
            + "are redelivered (ORDERED_BY_KEY)");
  }

  private static long millisBetween(Call earlier, Call later) {
    return TimeUnit.NANOSECONDS.toMillis(later.startedNanos() - earlier.startedNanos());
  }
}
