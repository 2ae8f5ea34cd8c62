package dev.courier.tck;

import dev.courier.Message;
import dev.courier.tck.internal.Recorder;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** TCK-2 publishing: the rules of {@link CourierTck.Publishing}. */
abstract class PublishingRules extends RuleGroup {
  PublishingRules(TckSupport tck) {
    super(tck);
  }

  @Test
  @DisplayName("TCK-2.1 a publish completes only after the broker accepted the message: a subscriber started afterwards receives every confirmed message")
  void confirmedMeansStored() {
    String topic = name("pub");
    String group = name("g");
    courier().admin().ensureGroup(topic, group);
    List<Message> sent = publish(courier(), topic, messages("confirmed", 200));
    Recorder r = recorder();
    subscribe(newCourier(), options(topic, group).build(), r.handler());
    check(r.awaitCompleted(ids(sent), patience()), missing(ids(sent), r.completedIds()),
        "that send() completes only on the broker's confirmation and never drops a confirmed message");
  }

  @Test
  @DisplayName("TCK-2.2 publishAll confirms a batch only when every message is stored, and every message arrives")
  void batchPublish() {
    String topic = name("batch");
    String group = name("g");
    courier().admin().ensureGroup(topic, group);
    List<Message> sent = messages("batch", 100);
    confirm(List.of(courier().publisher().publishAll(topic, sent)));
    Recorder r = recorder();
    subscribe(courier(), options(topic, group).build(), r.handler());
    check(r.awaitCompleted(ids(sent), patience()), missing(ids(sent), r.completedIds()),
        "sendAll(): every future must complete only on the broker's confirmation");
  }

  @Test
  @Tag(TckSupport.FAULT_RULE)
  @DisplayName("TCK-2.3 a publish to a broker that is down fails its future within a bounded time (fault rule)")
  void publishToStoppedBrokerFails() throws Exception {
    BrokerControl control = brokerControl();
    String topic = name("down");
    courier().admin().ensureTopic(topic);
    control.stop();
    try {
      Throwable failure = null;
      try {
        CompletableFuture<Void> f = courier().publisher().publish(topic, Message.of(new byte[] {1}));
        f.get(patience().multipliedBy(2).toMillis(), TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.ExecutionException e) {
        failure = e.getCause();
      } catch (java.util.concurrent.TimeoutException e) {
        check(false, "the publish future neither completed nor failed within " + patience().multipliedBy(2),
            "that send() fails its future within the publish timeout when the broker does not answer");
      } catch (RuntimeException e) {
        failure = e;
      }
      check(failure instanceof dev.courier.CourierException,
          failure == null ? "the publish was confirmed although the broker was down"
              : "the publish failed with " + failure + " instead of a CourierException (PublishException)",
          "that send() reports connection failures as a failed future, never a confirmation");
    } finally {
      control.start();
    }
  }
}
