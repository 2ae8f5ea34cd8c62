package dev.courier.tck;

import dev.courier.Capability;
import dev.courier.UnsupportedCapabilityException;
import dev.courier.Message;
import dev.courier.tck.internal.Recorder;
import dev.courier.tck.internal.Recorder.Call;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** TCK-10 delayed publish: the rules of {@link CourierTck.DelayedPublish}. */
abstract class DelayedPublishRules extends RuleGroup {
  DelayedPublishRules(TckSupport tck) {
    super(tck);
  }

  @Test
  @DisplayName("TCK-10.1 a delayed message is not delivered before its delay, and is delivered after it")
  void delayedPublish() {
    requires(Capability.DELAYED_PUBLISH);
    String topic = name("delay");
    Recorder r = recorder();
    subscribe(courier(), options(topic, name("g")).build(), r.handler());
    Message delayed = Message.of(new byte[] {1});
    long sent = System.nanoTime();
    confirm(List.of(courier().publisher().publishDelayed(topic, delayed, Duration.ofMillis(700))));
    Message now = publish(courier(), topic, messages("now", 1)).get(0);
    check(r.awaitCompleted(Set.of(delayed.id(), now.id()), patience()),
        missing(Set.of(delayed.id(), now.id()), r.completedIds()), "that delayed messages are delivered");
    Call call = r.completed().stream().filter(c -> c.id().equals(delayed.id())).findFirst().orElseThrow();
    long after = TimeUnit.NANOSECONDS.toMillis(call.startedNanos() - sent);
    check(after >= 630, "the message delayed by 700 ms was delivered after " + after + " ms",
        "that sendDelayed() keeps the message invisible for the delay (DELAYED_PUBLISH)");
  }

  @Test
  @DisplayName("TCK-10.3 a long delay never holds back a shorter one published after it")
  void shortDelayOvertakesLongOne() {
    requires(Capability.DELAYED_PUBLISH);
    String topic = name("delays");
    Recorder r = recorder();
    subscribe(courier(), options(topic, name("g")).build(), r.handler());
    Message slow = Message.of(new byte[] {1});
    Message fast = Message.of(new byte[] {2});
    long slowSent = System.nanoTime();
    confirm(List.of(courier().publisher().publishDelayed(topic, slow, Duration.ofSeconds(20))));
    long fastSent = System.nanoTime();
    confirm(List.of(courier().publisher().publishDelayed(topic, fast, Duration.ofMillis(300))));
    boolean arrived = r.awaitCompleted(Set.of(fast.id()), patience());
    String hint = "that delays are not served in publish order (a queue that expires only its head, such as a "
        + "single RabbitMQ TTL queue, has this flaw: use one queue per delay tier)";
    r.started().stream().filter(c -> c.id().equals(slow.id())).findFirst().ifPresent(early -> {
      long after = TimeUnit.NANOSECONDS.toMillis(early.startedNanos() - slowSent);
      check(after >= 18_000, "the message delayed by 20 s (" + slow.id() + ", published first) was delivered after "
              + after + " ms, " + (20_000 - after) + " ms early", "that sendDelayed() keeps every message "
              + "invisible for its own delay (DELAYED_PUBLISH)");
    });
    long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - fastSent);
    check(arrived, "the message delayed by 300 ms (" + fast.id() + ") had not arrived " + waited + " ms after it was "
        + "published, " + (waited - 300) + " ms late, while the one delayed by 20 s published before it was still "
        + "waiting", hint);
    Call call = r.completed().stream().filter(c -> c.id().equals(fast.id())).findFirst().orElseThrow();
    long after = TimeUnit.NANOSECONDS.toMillis(call.startedNanos() - fastSent);
    check(after < 15_000, "the message delayed by 300 ms (" + fast.id() + ") was delivered after " + after + " ms, "
        + (after - 300) + " ms late, behind one delayed by 20 s that was published first", hint);
  }

  @Test
  @DisplayName("TCK-10.2 without DELAYED_PUBLISH, publishDelayed fails with UnsupportedCapabilityException before any I/O")
  void delayedPublishUnsupported() {
    requiresLacking(Capability.DELAYED_PUBLISH);
    String topic = name("nodelay");
    try {
      courier().publisher().publishDelayed(topic, Message.of(new byte[] {1}), Duration.ofSeconds(1));
      check(false, "publishDelayed returned a future", "the core's capability check");
    } catch (dev.courier.UnsupportedCapabilityException expected) {
      check(expected.capability() == Capability.DELAYED_PUBLISH, "it named " + expected.capability(),
          "UnsupportedCapabilityException.capability()");
    }
  }
}
