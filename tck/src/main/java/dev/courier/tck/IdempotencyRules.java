package dev.courier.tck;

import dev.courier.Capability;
import dev.courier.Idempotency;
import dev.courier.idempotency.IdempotencyStore;
import dev.courier.idempotency.InMemoryIdempotencyStore;
import dev.courier.Message;
import dev.courier.tck.internal.Recorder;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** TCK-6 idempotency: the rules of {@link CourierTck.Idempotent}. */
abstract class IdempotencyRules extends RuleGroup {
  IdempotencyRules(TckSupport tck) {
    super(tck);
  }

  @Test
  @DisplayName("TCK-6.1 a message published three times with the same id reaches the handler once per group")
  void duplicatesSkipped() {
    String topic = name("idem");
    IdempotencyStore store = InMemoryIdempotencyStore.create();
    List<Recorder> groups = new ArrayList<>();
    int groupCount = declared().has(Capability.FAN_OUT) ? 2 : 1;
    for (int i = 0; i < groupCount; i++) {
      String group = name("g" + i);
      courier().admin().ensureGroup(topic, group);
      Recorder r = recorder();
      groups.add(r);
      subscribe(courier(), options(topic, group).idempotency(Idempotency.using(store)).build(), r.handler());
    }
    Message m = Message.builder().id("tck-dup-" + name("id")).payload(new byte[] {7}).build();
    publish(courier(), topic, List.of(m, m, m));
    Set<String> after = ids(publish(courier(), topic, messages("after", 20)));
    for (int i = 0; i < groups.size(); i++) {
      Recorder r = groups.get(i);
      check(r.awaitCompleted(after, patience()), "group " + i + ": " + missing(after, r.completedIds()),
          "that messages arrive");
      Set<String> seenDup = Set.of(m.id());
      check(r.awaitCompleted(seenDup, patience()), "group " + i + " never handled the duplicated message",
          "that duplicates with the same id are all delivered (the core skips them, not the broker)");
      int times = r.completionsById().getOrDefault(m.id(), 0);
      check(times == 1, "group " + i + " handled the message " + times + " times",
          "that Message.id() survives the broker, so the idempotency key matches");
    }
  }
}
