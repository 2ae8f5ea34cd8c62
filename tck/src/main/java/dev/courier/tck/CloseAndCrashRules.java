package dev.courier.tck;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.courier.Capability;
import dev.courier.Courier;
import dev.courier.CourierClosedException;
import dev.courier.Message;
import dev.courier.MessageHandler;
import dev.courier.Subscription;
import dev.courier.SubscriptionOptions;
import dev.courier.spi.support.Threads;
import dev.courier.tck.internal.PublishRace;
import dev.courier.tck.internal.PublishStream;
import dev.courier.tck.internal.Recorder;
import dev.courier.tck.internal.Recorder.Call;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** TCK-9 close and crash: the rules of {@link CourierTck.CloseAndCrash}. */
abstract class CloseAndCrashRules extends RuleGroup {
  /** TCK-9.8's publishing while the broker stops: 3 threads at this pace, at most this many each (8 s). */
  private static final Duration RACING_PACE = Duration.ofMillis(40);
  private static final int RACING_PUBLISHES = 200;

  CloseAndCrashRules(TckSupport tck) {
    super(tck);
  }

  @Test
  @DisplayName("TCK-9.1 closing a subscription mid-stream loses nothing and acks nothing unhandled; a new subscriber continues where it stopped")
  void closeMidStream() {
    String topic = name("close");
    String group = name("g");
    courier().admin().ensureGroup(topic, group);
    Set<String> expected = ids(publish(courier(), topic, messages("close", 200)));
    Recorder first = recorder();
    Subscription s = subscribe(courier(), options(topic, group).maxInFlight(32).build(),
        first.handler(d -> LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2))));
    check(first.awaitCompletedIds(40, patience()), "the first subscriber handled only "
        + first.completedIds().size() + " messages", "that messages arrive");
    s.close();
    Set<String> startedNotCompleted = new HashSet<>(first.started().stream().map(Call::id).toList());
    startedNotCompleted.removeAll(first.completedIds());
    check(startedNotCompleted.isEmpty(), startedNotCompleted.size() + " handlers were cut off by close()",
        "that close() waits for running handlers (drain timeout)");
    Recorder second = recorder();
    subscribe(newCourier(), options(topic, group).build(), second.handler());
    boolean all = await(patience(), () -> {
      Set<String> seen = new HashSet<>(first.completedIds());
      seen.addAll(second.completedIds());
      return seen.containsAll(expected);
    });
    Set<String> seen = new HashSet<>(first.completedIds());
    seen.addAll(second.completedIds());
    check(all, missing(expected, seen) + " after the first subscriber closed",
        "that Receiver.close() returns every unsettled delivery to the group and that nothing is acked "
            + "before its handler returned");
  }

  @Test
  @DisplayName("TCK-9.5 subscriptions closed and reopened mid-stream, one at a time and together, multiply nothing: no message is handled again after its handler returned, and attempts never go back")
  void closeAndReopenMultipliesNothing() throws Exception {
    String topic = name("reopen");
    String group = name("g");
    courier().admin().ensureGroup(topic, group);
    Set<String> expected = ids(publish(courier(), topic, messages("reopen", 600)));
    Recorder rec = recorder();
    SubscriptionOptions opts = options(topic, group).concurrency(2).maxInFlight(16).build();
    MessageHandler handler = rec.handler(d -> LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5)));
    List<Subscription> live = new ArrayList<>(List.of(subscribe(courier(), opts, handler),
        subscribe(courier(), opts, handler)));
    int closedHolding = 0;
    for (int round = 1; round <= 4; round++) {
      int target = round * 60;
      check(rec.awaitCompletedIds(target, patience()), "only " + rec.completedIds().size()
          + " messages were handled before round " + round, "that messages keep arriving after a subscriber is replaced");
      // Close a subscriber while it holds deliveries (on Kafka one may own no partition, and
      // none holds any while the group rebalances).
      await(patience(), () -> live.stream().anyMatch(s -> s.inFlight().now() > 0));
      Subscription busiest = live.get(0);
      for (Subscription s : live) {
        int held = s.inFlight().now();
        busiest = held > busiest.inFlight().now() ? s : busiest;
        closedHolding += held > 0 && round == 4 ? 1 : 0;
      }
      closedHolding += round < 4 && busiest.inFlight().now() > 0 ? 1 : 0;
      if (round < 4) {
        live.remove(busiest);
        busiest.close();
        live.add(subscribe(courier(), opts, handler));
      } else {
        ExecutorService closers = Executors.newFixedThreadPool(live.size());
        try {
          List<Future<?>> closing = new ArrayList<>();
          for (Subscription s : live) {
            closing.add(closers.submit(s::close));
          }
          for (Future<?> f : closing) {
            f.get(patience().toMillis(), TimeUnit.MILLISECONDS);
          }
        } finally {
          closers.shutdownNow();
        }
        live.clear();
        live.add(subscribe(courier(), opts, handler));
      }
    }
    check(closedHolding > 0, "no subscriber held an unsettled delivery when it was closed",
        "nothing: the rule was inconclusive (the stream ran dry before the closes); it needs a slower machine-independent "
            + "setting, please report it");
    boolean all = rec.awaitCompleted(expected, patience());
    // A second copy is handled after its original: watch a while for one to show up.
    rec.await(r -> r.completionsById().values().stream().anyMatch(n -> n > 1), Duration.ofSeconds(2));
    Map<String, Integer> completions = rec.completionsById();
    List<String> multiplied = new ArrayList<>();
    completions.forEach((id, n) -> {
      if (n > 1) {
        multiplied.add(id + " ×" + n);
      }
    });
    recordDuplicates(multiplied.size());
    check(all, missing(expected, rec.completedIds()) + " after subscribers were closed and reopened",
        "that Receiver.close() returns every unsettled delivery to the group");
    check(multiplied.isEmpty(), multiplied.size() + " messages were handled again after their handler had "
            + "returned, e.g. " + multiplied.subList(0, Math.min(5, multiplied.size())),
        "that close() keeps acks sent before it (they reach the broker before the channel or consumer closes) "
            + "and that release() hands a message back without leaving a copy beside the original");
    Map<String, Integer> lastAttempt = new LinkedHashMap<>();
    List<String> wentBack = new ArrayList<>();
    for (Call c : rec.started()) {
      Integer before = lastAttempt.put(c.id(), c.delivery().attempt());
      if (before != null && c.delivery().attempt() < before) {
        wentBack.add(c.id() + ": " + before + " then " + c.delivery().attempt());
      }
    }
    check(wentBack.isEmpty(), "attempt numbers went back for " + wentBack.size() + " messages, e.g. "
            + wentBack.subList(0, Math.min(5, wentBack.size())),
        "that a handed-back message exists once: a second live copy restarts its count");
  }

  @Test
  @DisplayName("TCK-9.2 the messages of a consumer that stops without acking (a crash) are redelivered to another consumer of the group")
  void crashedConsumer() {
    String topic = name("crash");
    String group = name("g");
    courier().admin().ensureGroup(topic, group);
    Set<String> expected = ids(publish(courier(), topic, messages("crash", 20)));
    Courier crashing = newCourier();
    Recorder stuck = recorder();
    subscribe(crashing, options(topic, group).concurrency(2).maxInFlight(8)
        .drainTimeout(Duration.ofMillis(100)).build(), stuck.handler(d -> blockUntilRuleEnds()));
    check(stuck.awaitStarted(2, patience()), "the consumer received " + stuck.started().size() + " messages",
        "that messages arrive");
    crashing.close();
    Recorder survivor = recorder();
    subscribe(newCourier(), options(topic, group).build(), survivor.handler());
    check(survivor.awaitCompleted(expected, patience()), missing(expected, survivor.completedIds())
            + " after the consumer holding them stopped",
        "that deliveries a consumer never settled return to the group (never acked on hand-over)");
  }

  @Test
  @DisplayName("TCK-9.7 the unsettled messages of a consumer whose process is killed reach another consumer of the group within the broker's bound")
  void killedConsumerProcess() {
    String topic = name("kill");
    String group = name("g");
    courier().admin().ensureGroup(topic, group);
    CrashingConsumer child = fixtureUnderTest().startCrashingConsumer(topic, group, patience()).orElse(null);
    assumeTrue(child != null, "the fixture cannot start a consumer in another process (TckFixture.childConfiguration() "
        + "is empty)");
    Set<String> expected;
    try {
      expected = ids(publish(courier(), topic, messages("kill", 20)));
      check(await(patience(), () -> child.started().size() >= 2), "the consumer started "
          + child.started().size() + " handlers", "that messages arrive");
    } finally {
      child.kill();
    }
    Set<String> stranded = child.started();
    Duration bound = fixtureUnderTest().crashRedeliveryBound().plus(patience());
    Recorder survivor = recorder();
    subscribe(courier(), options(topic, group).build(), survivor.handler());
    check(survivor.awaitCompleted(expected, bound), missing(expected, survivor.completedIds()) + " within "
            + bound.toSeconds() + " s of killing the consumer that held " + stranded.size() + " of them unsettled",
        "that the broker returns a dead consumer's unsettled deliveries within the fixture's crashRedeliveryBound() "
            + "(connection loss, visibility timeout or session timeout)");
  }

  @Test
  @Tag(TckSupport.FAULT_RULE)
  @DisplayName("TCK-9.3 after a broker restart the subscription recovers by itself (fault rule)")
  void recoversAfterRestart() throws Exception {
    BrokerControl control = brokerControl();
    String topic = name("restart");
    String group = name("g");
    courier().admin().ensureGroup(topic, group);
    Recorder r = recorder();
    subscribe(courier(), options(topic, group).build(), r.handler());
    Set<String> before = ids(publish(courier(), topic, messages("before", 10)));
    check(r.awaitCompleted(before, patience()), missing(before, r.completedIds()), "that messages arrive");
    control.stop();
    control.start();
    Set<String> after = new HashSet<>();
    for (Message m : messages("after", 10)) {
      publishWithRetries(m, topic);
      after.add(m.id());
    }
    check(r.awaitCompleted(after, patience().multipliedBy(2)), missing(after, r.completedIds())
            + " published after the restart",
        "that the adapter reconnects and resumes consuming without the application's help");
  }

  @Test
  @Tag(TckSupport.FAULT_RULE)
  @DisplayName("TCK-9.4 no confirmed message is lost across a broker restart (fault rule, PERSISTENT)")
  void persistentAcrossRestart() throws Exception {
    requires(Capability.PERSISTENT);
    BrokerControl control = brokerControl();
    String topic = name("persist");
    String group = name("g");
    courier().admin().ensureGroup(topic, group);
    Set<String> expected = ids(publish(courier(), topic, messages("persist", 50)));
    control.stop();
    control.start();
    Recorder r = recorder();
    subscribe(newCourier(), options(topic, group).build(), r.handler());
    check(r.awaitCompleted(expected, patience().multipliedBy(2)), missing(expected, r.completedIds()),
        "that confirmed messages are stored durably (persistent delivery mode, replicated log, ...)");
  }

  @Test
  @Tag(TckSupport.FAULT_RULE)
  @DisplayName("TCK-9.8 with 3 threads publishing 3000 messages while the broker restarts twice, every confirmed publish arrives (fault rule, PERSISTENT)")
  void confirmedPublishesSurviveRestartsUnderLoad() throws Exception {
    requires(Capability.PERSISTENT);
    BrokerControl control = brokerControl();
    String topic = name("restarts");
    String group = name("g");
    courier().admin().ensureGroup(topic, group);
    List<dev.courier.Publisher> publishers = List.of(courier().publisher(), newCourier().publisher(),
        newCourier().publisher());
    Duration bound = patience().multipliedBy(3);
    Set<String> confirmed;
    long failed;
    ExecutorService stopper = Executors.newSingleThreadExecutor(Threads.factory("courier-tck-broker-stop", true));
    try (PublishStream stream = PublishStream.start(publishers, topic, 1_000, 32, 2, bound)) {
      for (int restart = 1; restart <= 2; restart++) {
        check(stream.awaitCheckpoint(restart - 1, bound), "the publishing threads stalled before restart " + restart
            + " (" + stream.completed() + " publishes completed)", "that send() completes its futures");
        // The broker stops while the threads publish at a pace (publishes in doubt); once it is down
        // they publish the rest of their share. (Released after the stop, no publish would race it;
        // released at full speed, they could all finish before the broker went down.)
        stream.throttle(RACING_PACE, RACING_PUBLISHES);
        stream.release(restart - 1);
        Future<?> stopping = stopper.submit(() -> {
          control.stop();
          return null;
        });
        long down;
        boolean goesOn;
        try {
          stopping.get(); // as long as the fixture's stop takes
          down = stream.completed();
          stream.unthrottle();
          goesOn = await(bound, () -> stream.completed() >= down + 30);
        } finally { // a rule failing here leaves the stream throttled: its close() lifts it
          control.start();
        }
        check(goesOn, "only " + (stream.completed() - down) + " publishes completed within " + bound
            + " of the broker being down (restart " + restart + ")",
            "that send() fails its future within the publish timeout while the broker is down");
      }
      check(stream.awaitDone(bound), "publishes were still pending " + bound + " after the second restart",
          "that every send() future completes, confirmed or failed, once the broker is back");
      check(stream.stalled() == 0, stream.stalled() + " publishing threads stalled", "that send() futures complete");
      confirmed = stream.confirmed();
      failed = stream.failed();
    } finally {
      stopper.shutdownNow();
    }
    Recorder r = recorder();
    subscribe(newCourier(), options(topic, group).concurrency(4).build(), r.handler());
    boolean all = r.awaitCompleted(confirmed, patience().multipliedBy(2));
    recordDuplicates(r.completed().size() - r.completedIds().size());
    check(all, "of the confirmed publishes, " + missing(confirmed, r.completedIds()) + " (" + failed
            + " other publishes failed around the restarts)",
        "that send() confirms only what the broker stored durably, also while reconnecting: a publish in doubt "
            + "must fail (or be resent), never be confirmed");
  }

  @Test
  @DisplayName("TCK-9.6 Courier.close() flushes: publishes not yet confirmed when it is called are confirmed and stored, and publishes racing it from other threads each complete")
  void closeFlushesPublishes() throws Exception {
    String topic = name("flush");
    String group = name("g");
    courier().admin().ensureGroup(topic, group);
    Courier closing = newCourier();
    List<Message> sent = messages("flush", 2_000);
    List<CompletableFuture<Void>> before = new ArrayList<>(sent.size());
    try (PublishRace race = PublishRace.start(closing.publisher(), topic, 3, 3_000)) {
      check(race.awaitStarted(patience()), "publishing threads were still in their first publish after "
          + patience(), "that send() returns its future without waiting for the broker");
      for (Message m : sent) {
        before.add(closing.publisher().publish(topic, m));
      }
      CompletableFuture<Void> closed = CompletableFuture.runAsync(closing::close); // at once, confirms pending
      check(await(patience().multipliedBy(2), closed::isDone), "Courier.close() did not return within "
          + patience().multipliedBy(2), "that Transport.close() returns once the core has flushed the publishes");
      long unconfirmed = before.stream().filter(f -> !f.isDone() || f.isCompletedExceptionally()).count();
      check(unconfirmed == 0, unconfirmed + " of " + before.size() + " publishes made just before close() were"
              + " not confirmed when it returned (" + firstFailure(before) + ")",
          "that send() futures complete on the broker's confirmation without needing close(): the core waits"
              + " for them, then closes the transport, which must not fail or drop sends in flight");
      check(race.awaitStopped(patience()), "publishing threads did not stop within " + patience()
          + " after close()", "that publishing after close() began fails at once");
      List<CompletableFuture<Void>> raced = race.futures();
      check(await(patience(), () -> raced.stream().allMatch(CompletableFuture::isDone)),
          raced.stream().filter(f -> !f.isDone()).count() + " of " + raced.size()
              + " publishes racing close() neither completed nor failed within " + patience(),
          "that a send racing Transport.close() completes its future, confirmed or failed, never leaves it pending");
      List<RuntimeException> refusals = race.refusals().stream()
          .filter(e -> !(e instanceof CourierClosedException)).toList();
      check(refusals.isEmpty(), "a publish racing close() threw " + refusals.stream().findFirst().orElse(null),
          "that publishing after close() began fails at once with CourierClosedException");
    }
    Recorder r = recorder();
    subscribe(newCourier(), options(topic, group).build(), r.handler());
    check(r.awaitCompleted(ids(sent), patience()), missing(ids(sent), r.completedIds())
            + " of the publishes confirmed by close()",
        "that a message is stored before its send() is confirmed, and that close() drops no send buffer");
  }

  private String firstFailure(List<CompletableFuture<Void>> futures) {
    for (CompletableFuture<Void> f : futures) {
      if (!f.isDone()) {
        return "one still pending";
      }
      if (f.isCompletedExceptionally()) {
        return "e.g. " + f.handle((v, e) -> e instanceof java.util.concurrent.CompletionException c
            ? c.getCause() : e).join();
      }
    }
    return "none failed";
  }

  private void publishWithRetries(Message m, String topic) {
    long deadline = System.nanoTime() + patience().multipliedBy(2).toNanos();
    while (true) {
      try {
        courier().publisher().publish(topic, m).get(patience().toMillis(), TimeUnit.MILLISECONDS);
        return;
      } catch (Exception e) {
        if (System.nanoTime() - deadline > 0) {
          check(false, "publishing still failed " + patience().multipliedBy(2) + " after the restart: " + e,
              "that the adapter reconnects its publisher by itself");
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
      }
    }
  }
}
