package dev.courier.tck;

import dev.courier.Capability;
import dev.courier.CourierHeaders;
import dev.courier.Codecs;
import dev.courier.DeadLetters;
import dev.courier.Headers;
import dev.courier.Message;
import dev.courier.RetryPolicy;
import dev.courier.Subscription;
import dev.courier.tck.internal.AtLimits;
import dev.courier.tck.internal.Recorder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** TCK-5 dead letters: the rules of {@link CourierTck.DeadLettering}. */
abstract class DeadLetterRules extends RuleGroup {
  DeadLetterRules(TckSupport tck) {
    super(tck);
  }

  private final RetryPolicy threeDeliveries = RetryPolicy.builder().maxInProcessAttempts(1).maxDeliveries(3)
      .redeliveryInitialDelay(Duration.ofMillis(10)).redeliveryMaxDelay(Duration.ofMillis(40)).build();

  @Test
  @DisplayName("TCK-5.1 after maxDeliveries failed deliveries the message is dead-lettered, unchanged, with the failure headers")
  void deadLetterAfterMaxDeliveries() {
    String topic = name("dl");
    String group = name("g");
    DeadLetters dl = courier().admin().deadLetters(topic, group);
    Recorder dead = observe(dl);
    Recorder r = recorder();
    subscribe(courier(), options(topic, group).retry(threeDeliveries).build(), r.handler(d -> {
      throw new IllegalStateException("tck: attempt " + d.attempt() + " fails on purpose");
    }));
    Message sent = Message.builder().key("dlk").header("app", "välue").payload(new byte[] {0, 1, 2}).build();
    long before = System.currentTimeMillis();
    publish(courier(), topic, List.of(sent));
    check(dead.awaitCompleted(Set.of(sent.id()), patience()), "no dead letter arrived on '" + dl.topic()
            + "' (handler attempts: " + r.started().stream().map(c -> c.delivery().attempt()).toList() + ")",
        "that the message is redelivered until maxDeliveries and then republished to the dead-letter topic");
    List<Integer> attempts = r.started().stream().map(c -> c.delivery().attempt()).toList();
    check(attempts.equals(List.of(1, 2, 3)), "the handler saw attempts " + attempts + " before dead-lettering; "
            + "maxDeliveries is 3", "TransportDelivery.deliveryCount() across redeliveries");
    Message letter = dead.completed().get(0).delivery().message();
    check(java.util.Arrays.equals(letter.payload(), sent.payload()) && letter.key().equals(sent.key())
            && "välue".equals(letter.headers().get("app").orElse(null)),
        "the dead letter's payload, key or application headers differ from the original",
        "that the dead letter is the original message plus courier-dlq-* headers");
    Headers h = letter.headers();
    List<String> wrong = new ArrayList<>();
    expectHeader(h, CourierHeaders.DLQ_SOURCE_TOPIC, topic, wrong);
    expectHeader(h, CourierHeaders.DLQ_GROUP, group, wrong);
    expectHeader(h, CourierHeaders.DLQ_ATTEMPTS, "3", wrong);
    expectHeader(h, CourierHeaders.DLQ_EXCEPTION_CLASS, IllegalStateException.class.getName(), wrong);
    expectHeader(h, CourierHeaders.DLQ_REASON, "exhausted", wrong);
    if (!h.get(CourierHeaders.DLQ_EXCEPTION_MESSAGE).orElse("").contains("fails on purpose")) {
      wrong.add(CourierHeaders.DLQ_EXCEPTION_MESSAGE + " lacks the exception's message");
    }
    try {
      Instant first = Instant.parse(h.get(CourierHeaders.DLQ_FIRST_FAILURE).orElseThrow());
      Instant last = Instant.parse(h.get(CourierHeaders.DLQ_LAST_FAILURE).orElseThrow());
      if (first.isAfter(last) || first.toEpochMilli() < before - 1000) {
        wrong.add("first/last failure times " + first + " / " + last + " are out of order or too early");
      }
    } catch (RuntimeException e) {
      wrong.add("first/last failure headers missing or not ISO-8601 (" + e + ")");
    }
    check(wrong.isEmpty(), "dead-letter headers wrong: " + wrong,
        "that adapters carry courier-* headers like any other header");
    checkCount(dl, n -> n >= 1, "at least 1");
  }

  /**
   * A group on the dead-letter topic that sees every dead letter: how the rules wait for them,
   * since {@link DeadLetters#count()} may be unknown (Pub/Sub) or approximate (SQS).
   */
  private Recorder observe(DeadLetters dl) {
    String observer = name("dlobs");
    courier().admin().ensureGroup(dl.topic(), observer);
    Recorder seen = recorder();
    subscribe(newCourier(), options(dl.topic(), observer).build(), seen.handler());
    return seen;
  }

  /** Where the broker counts, the count must come to satisfy {@code ok}; unknown is honest. */
  private void checkCount(DeadLetters dl, java.util.function.LongPredicate ok, String expected) {
    checkCount(dl, ok, expected, "Transport.backlog() of the dead-letter group (empty where the broker cannot count)");
  }

  private void checkCount(DeadLetters dl, java.util.function.LongPredicate ok, String expected, String whatToCheck) {
    if (dl.count().isPresent()) {
      check(await(patience(), () -> dl.count().stream().allMatch(ok)),
          "DeadLetters.count() is " + dl.count() + ", expected " + expected, whatToCheck);
    }
  }

  private void expectHeader(Headers h, String name, String value, List<String> wrong) {
    String actual = h.get(name).orElse(null);
    if (!value.equals(actual)) {
      wrong.add(name + "=" + actual + " (expected " + value + ")");
    }
  }

  @Test
  @DisplayName("TCK-5.2 a payload that cannot be decoded is dead-lettered at once, without retries")
  void poisonPayload() {
    String topic = name("poison");
    String group = name("g");
    DeadLetters dl = courier().admin().deadLetters(topic, group);
    Recorder dead = observe(dl);
    Recorder r = recorder();
    subscribe(courier(), options(topic, group).build(),
        r.handler(d -> d.payload(Codecs.json(Map.class))));
    Message poison = Message.builder().payload("{not json".getBytes(StandardCharsets.UTF_8)).build();
    publish(courier(), topic, List.of(poison));
    check(dead.awaitCompleted(Set.of(poison.id()), patience()), "no dead letter appeared (handler calls: "
        + r.started().size() + ")", "the dead-letter path for undecodable payloads");
    checkCount(dl, n -> n >= 1, "at least 1");
    check(r.started().size() == 1, "the handler was called " + r.started().size()
            + " times for an undecodable payload", "that decode failures skip retries");
  }

  @Test
  @DisplayName("TCK-5.3 redrive returns dead letters to the source topic, where the group handles them again")
  void redrive() {
    String topic = name("redrive");
    String group = name("g");
    DeadLetters dl = courier().admin().deadLetters(topic, group);
    java.util.concurrent.atomic.AtomicBoolean broken = new java.util.concurrent.atomic.AtomicBoolean(true);
    Recorder r = recorder();
    subscribe(courier(), options(topic, group).retry(RetryPolicy.none()).build(), r.handler(d -> {
      if (broken.get()) {
        throw new IllegalStateException("tck: broken until the redrive");
      }
    }));
    Recorder dead = observe(dl);
    Set<String> sent = ids(publish(courier(), topic, messages("redrive", 3)));
    check(dead.awaitCompleted(sent, patience()), missing(sent, dead.completedIds()) + " on the dead-letter topic",
        "the dead-letter path");
    checkCount(dl, n -> n >= 3, "at least 3");
    broken.set(false);
    int moved = dl.redrive();
    check(moved == 3, "redrive() moved " + moved + " messages, expected 3", "DeadLetters.redrive()");
    check(r.awaitCompleted(sent, patience()), missing(sent, r.completedIds()) + " after the redrive",
        "that redriven messages are republished to the source topic and reach the group");
    Message again = r.completed().get(0).delivery().message();
    check("1".equals(again.headers().get(CourierHeaders.REDRIVE_COUNT).orElse(null))
            && again.headers().names().stream().noneMatch(n -> n.startsWith(CourierHeaders.DLQ_PREFIX)),
        "a redriven message has headers " + again.headers().names(),
        "that redrive strips courier-dlq-* headers and sets courier-redrive-count");
    if (dl.count().isPresent()) {
      checkCount(dl, n -> n == 0, "0 after the redrive", "that redrive acks each dead letter after republishing it");
    } else {
      int movedAgain = dl.redrive();
      check(movedAgain == 0, "a second redrive moved " + movedAgain + " messages",
          "that redrive acks each dead letter after republishing it");
    }
  }

  @Test
  @DisplayName("TCK-5.4 a message at the adapter's declared limits (headers, header bytes, payload) is dead-lettered and redriven intact")
  void atDeclaredLimits() {
    LimitsRoundTrip trip = new LimitsRoundTrip();
    publish(courier(), trip.topic, List.of(trip.sent));
    trip.deadLettered(1, "");
    trip.redrive();
    trip.deadLettered(2, "1"); // fails again: the dead letter of a redriven message carries one header more
    trip.broken.set(false);
    trip.redrive();
    check(trip.handled.awaitCompleted(Set.of(trip.sent.id()), patience()),
        "the message redriven twice never reached the group", "that redriven copies reach the source topic");
    Message again = trip.handled.completed().get(0).delivery().message();
    trip.checkIntact(again, "the message redriven twice");
    check("2".equals(again.headers().get(CourierHeaders.REDRIVE_COUNT).orElse(null)),
        "the redriven message has redrive count " + again.headers().get(CourierHeaders.REDRIVE_COUNT).orElse("none"),
        "that redrive increments courier-redrive-count");
  }

  @Test
  @DisplayName("TCK-5.5 peek returns the waiting dead letters oldest first, and leaves them waiting: not consumed, not locked")
  void peekLeavesDeadLettersWaiting() {
    requires(Capability.PEEK);
    String topic = name("peek");
    String group = name("g");
    DeadLetters dl = courier().admin().deadLetters(topic, group);
    check(dl.count().orElse(0) == 0, "a new dead-letter topic holds " + dl.count() + " messages",
        "Transport.backlog()");
    // Dead-lettered one at a time, in publish order: one key, one handler thread, one delivery each.
    courier().admin().ensureGroup(topic, group);
    List<Message> sent = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      sent.add(Message.builder().key("peek").payload(("dead-" + i).getBytes(StandardCharsets.UTF_8)).build());
    }
    publish(courier(), topic, sent);
    List<String> ids = sent.stream().map(Message::id).toList();
    Recorder failing = recorder();
    Subscription s = subscribe(courier(), options(topic, group).concurrency(1)
        .retry(RetryPolicy.builder().maxInProcessAttempts(1).maxDeliveries(1).build()).build(),
        failing.handler(d -> {
          throw new IllegalStateException("tck: dead-letter on purpose");
        }));
    check(failing.awaitStarted(5, patience()), "only " + failing.started().size() + " of 5 messages arrived",
        "that messages arrive");
    java.util.function.LongPredicate five = n -> n == 5;
    check(await(patience(), () -> dl.count().stream().allMatch(five) && !dl.peek(5).isEmpty()
            && dl.peek(10).size() == 5),
        "DeadLetters holds " + dl.count() + " / peek(10) returned " + dl.peek(10).size() + " with 5 dead letters waiting",
        "Transport.backlog() and TopicBrowser.peek() of the dead-letter group");
    s.close();
    List<String> peeked = dl.peek(3).stream().map(Message::id).toList();
    check(peeked.equals(ids.subList(0, 3)), "peek(3) returned " + peeked + "; the oldest three are "
        + ids.subList(0, 3), "TopicBrowser.peek(): up to max waiting messages, oldest first");
    List<String> again = dl.peek(3).stream().map(Message::id).toList();
    check(again.equals(peeked), "a second peek(3) returned " + again + " after the first returned " + peeked,
        "that TopicBrowser.peek() neither consumes nor hides (locks) what it returns");
    List<String> all = dl.peek(10).stream().map(Message::id).toList();
    check(all.equals(ids), "peek(10) returned " + all + "; the 5 waiting, oldest first, are " + ids,
        "TopicBrowser.peek(): every waiting message, up to max, oldest first");
    check(dl.count().stream().allMatch(five), "DeadLetters.count() fell to " + dl.count() + " after peeking",
        "that TopicBrowser.peek() settles nothing");
    Recorder r = recorder();
    subscribe(courier(), options(topic, group).build(), r.handler());
    int moved = dl.redrive();
    check(moved == 5, "redrive() right after peeking moved " + moved + " of the 5 dead letters",
        "that TopicBrowser.peek() leaves every message it returned to the group's next receiver at once "
            + "(no lock, no visibility timeout, no settlement)");
    check(r.awaitCompleted(Set.copyOf(ids), patience()), missing(Set.copyOf(ids), r.completedIds())
        + " after the redrive", "that redriven messages reach the group");
  }

  /** TCK-5.4, beside its group: a message at the declared limits survives two dead-letter round trips. */
  private final class LimitsRoundTrip {
    private final String topic = name("dllim");
    private final DeadLetters dl = courier().admin().deadLetters(topic, name("g"));
    private final Recorder dead = recorder();
    private final Recorder handled = recorder();
    private final java.util.concurrent.atomic.AtomicBoolean broken = new java.util.concurrent.atomic.AtomicBoolean(true);
    private final Message sent;

    LimitsRoundTrip() {
      Headers headers = AtLimits.headers(limits().limits(), limits().maxHeaderBytes());
      int payload = (int) Math.max(0, Math.min(limits().maxPayloadBytes(),
          (long) limits().maxMessageBytes() - headers.encodedSize()));
      byte[] bytes = new byte[payload];
      ThreadLocalRandom.current().nextBytes(bytes);
      sent = Message.builder().key("k-limits").headers(headers).payload(bytes).build();
      String observer = name("dlobs");
      courier().admin().ensureGroup(dl.topic(), observer);
      subscribe(newCourier(), options(dl.topic(), observer).build(), dead.handler());
      subscribe(courier(), options(topic, dl.group()).retry(RetryPolicy.none()).build(), handled.handler(d -> {
        if (broken.get()) {
          throw new IllegalStateException("tck: fails on purpose, with a long ünicode message ✓ ".repeat(400));
        }
      }));
    }

    /** Waits for the n-th dead letter of the message and checks it. */
    void deadLettered(int n, String redriveCount) {
      check(dead.await(r -> r.completionsById().getOrDefault(sent.id(), 0) >= n, patience()),
          "dead letter " + n + " of a message with " + sent.headers().size() + " headers, "
              + sent.headers().encodedSize() + " header bytes and a " + sent.payloadSize()
              + "-byte payload (the declared limits) never arrived on '" + dl.topic() + "'",
          "that the broker carries Capabilities.brokerLimits(): a dead letter adds up to "
              + CourierHeaders.RESERVED_COUNT + " headers and " + CourierHeaders.RESERVED_BYTES + " bytes");
      Message letter = dead.completed().stream().map(c -> c.delivery().message())
          .filter(m -> m.id().equals(sent.id())).skip(n - 1).findFirst().orElseThrow();
      checkIntact(letter, "dead letter " + n);
      check(letter.headers().get(CourierHeaders.DLQ_EXCEPTION_MESSAGE).orElse("").startsWith("tck: fails on purpose")
              && redriveCount.equals(letter.headers().get(CourierHeaders.REDRIVE_COUNT).orElse("")),
          "dead letter " + n + " lacks its exception message or has redrive count "
              + letter.headers().get(CourierHeaders.REDRIVE_COUNT).orElse("none"),
          "the dead-letter headers of a message at the limits");
      if (dl.count().isPresent()) { // unknown where the broker cannot count (Pub/Sub)
        check(await(patience(), () -> dl.count().orElse(0) >= 1), "DeadLetters.count() stayed 0",
            "the dead-letter group");
      }
    }

    void redrive() {
      int moved = dl.redrive();
      check(moved == 1, "redrive() moved " + moved + " messages, expected 1",
          "that the redriven copy of a message at the limits fits the broker's limits");
    }

    void checkIntact(Message got, String what) {
      check(java.util.Arrays.equals(got.payload(), sent.payload()) && got.key().equals(sent.key())
              && applicationHeaders(got.headers()).equals(sent.headers()),
          what + " differs from the message sent (" + applicationHeaders(got.headers()).size() + " of "
              + sent.headers().size() + " application headers, " + got.payloadSize() + " of " + sent.payloadSize()
              + " payload bytes)", "that headers and payload at the limits pass unchanged");
    }

  }
}
