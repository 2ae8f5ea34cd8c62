package dev.courier.tck;

import dev.courier.Capability;
import dev.courier.Courier;
import dev.courier.CourierHeaders;
import dev.courier.Headers;
import dev.courier.InvalidNameException;
import dev.courier.PayloadTooLargeException;
import dev.courier.UnsupportedCapabilityException;
import dev.courier.Message;
import dev.courier.RetryPolicy;
import dev.courier.SubscriptionOptions;
import dev.courier.tck.internal.AtLimits;
import dev.courier.tck.internal.Recorder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** TCK-11 bad input: the rules of {@link CourierTck.BadInput}. */
abstract class BadInputRules extends RuleGroup {
  BadInputRules(TckSupport tck) {
    super(tck);
  }

  private final List<String> badNames = List.of("x".repeat(10_000), "line\nbreak", "nul\u0000char");

  private void expect(Class<? extends Throwable> type, String call, Runnable action, List<String> wrong) {
    try {
      action.run();
      wrong.add(call + " did not throw");
    } catch (Throwable t) {
      if (!type.isInstance(t)) {
        wrong.add(call + " threw " + t.getClass().getName() + " instead of " + type.getSimpleName());
      } else if (t.getMessage() == null || t.getMessage().isBlank()) {
        wrong.add(call + " threw " + t.getClass().getSimpleName() + " without a message naming the problem");
      }
    }
  }

  @Test
  @DisplayName("TCK-11.1 invalid topic and group names (too long, control characters) fail with InvalidNameException before any I/O")
  void invalidNames() {
    String topic = name("names");
    String group = name("g");
    List<String> wrong = new ArrayList<>();
    Message m = Message.of(new byte[] {1});
    for (String bad : badNames) {
      String shown = bad.length() > 20 ? bad.substring(0, 12) + "...(" + bad.length() + " chars)" : bad;
      expect(InvalidNameException.class, "publish('" + shown + "')",
          () -> courier().publisher().publish(bad, m), wrong);
      expect(InvalidNameException.class, "subscribe(topic '" + shown + "')",
          () -> subscribe(courier(), options(bad, group).build(), d -> {}), wrong);
      expect(InvalidNameException.class, "subscribe(group '" + shown + "')",
          () -> subscribe(courier(), options(topic, bad).build(), d -> {}), wrong);
      expect(InvalidNameException.class, "ensureTopic('" + shown + "')",
          () -> courier().admin().ensureTopic(bad), wrong);
      expect(InvalidNameException.class, "ensureGroup(group '" + shown + "')",
          () -> courier().admin().ensureGroup(topic, bad), wrong);
    }
    expect(InvalidNameException.class, "publish('')", () -> courier().publisher().publish("", m), wrong);
    check(wrong.isEmpty(), wrong.size() + " calls accepted or mis-typed an invalid name: "
            + wrong.stream().limit(6).toList(),
        "Transport.naming(): the NamingRules must reject every name the broker would reject");
  }

  @Test
  @DisplayName("TCK-11.2 null arguments fail with NullPointerException naming the parameter")
  void nullArguments() {
    String topic = name("nulls");
    Message m = Message.of(new byte[] {1});
    List<String> wrong = new ArrayList<>();
    expect(NullPointerException.class, "publish(null, m)", () -> courier().publisher().publish(null, m), wrong);
    expect(NullPointerException.class, "publish(t, null)", () -> courier().publisher().publish(topic, null), wrong);
    expect(NullPointerException.class, "publishAll(t, null)",
        () -> courier().publisher().publishAll(topic, null), wrong);
    expect(NullPointerException.class, "publishDelayed(t, m, null)",
        () -> courier().publisher().publishDelayed(topic, m, null), wrong);
    expect(NullPointerException.class, "subscribe(null, h)", () -> courier().subscribe(null, d -> {}), wrong);
    expect(NullPointerException.class, "subscribe(o, null)",
        () -> courier().subscribe(SubscriptionOptions.of(topic, name("g")), null), wrong);
    expect(NullPointerException.class, "ensureTopic(null)", () -> courier().admin().ensureTopic(null), wrong);
    expect(NullPointerException.class, "ensureGroup(null, g)",
        () -> courier().admin().ensureGroup(null, "g"), wrong);
    expect(NullPointerException.class, "ensureGroup(t, null)",
        () -> courier().admin().ensureGroup(topic, null), wrong);
    check(wrong.isEmpty(), wrong.toString(), "the core's argument checks (Objects.requireNonNull(x, \"x\"))");
  }

  @Test
  @DisplayName("TCK-11.3 oversize payloads, too many headers, header values and messages fail with PayloadTooLargeException, and nothing is sent")
  void oversize() {
    String topic = name("big");
    String group = name("g");
    courier().admin().ensureGroup(topic, group);
    List<String> wrong = new ArrayList<>();
    Message tooBig = Message.of(new byte[limits().maxPayloadBytes() + 1]);
    Map<String, String> many = new LinkedHashMap<>();
    for (int i = 0; i <= limits().maxHeaders(); i++) {
      many.put("h" + i, "v");
    }
    Message tooManyHeaders = Message.builder().headers(Headers.of(many)).payload(new byte[] {1}).build();
    Message hugeHeader = Message.builder().header("h", "v".repeat(limits().maxHeaderBytes()))
        .payload(new byte[] {1}).build();
    Message hugeValue = Message.builder().header("h", "v".repeat(limits().maxHeaderValueBytes() + 1))
        .payload(new byte[] {1}).build();
    Message fine = Message.of(new byte[] {2});
    expect(PayloadTooLargeException.class, "publish(a header value over maxHeaderValueBytes)",
        () -> courier().publisher().publish(topic, hugeValue), wrong);
    long overTotal = (long) limits().maxMessageBytes() + 1 - limits().maxPayloadBytes();
    if (overTotal > 0 && overTotal <= limits().maxHeaderBytes()) { // each part within its limit, the sum over
      Headers headers = AtLimits.headers(limits().limits(), (int) overTotal);
      if (headers.encodedSize() >= overTotal) {
        Message tooLarge = Message.builder().headers(headers).payload(new byte[limits().maxPayloadBytes()]).build();
        expect(PayloadTooLargeException.class, "publish(payload and headers over maxMessageBytes)",
            () -> courier().publisher().publish(topic, tooLarge), wrong);
      }
    }
    expect(PayloadTooLargeException.class, "publish(payload of max+1 bytes)",
        () -> courier().publisher().publish(topic, tooBig), wrong);
    expect(PayloadTooLargeException.class, "publish(maxHeaders+1 headers)",
        () -> courier().publisher().publish(topic, tooManyHeaders), wrong);
    expect(PayloadTooLargeException.class, "publish(headers over maxHeaderBytes)",
        () -> courier().publisher().publish(topic, hugeHeader), wrong);
    expect(PayloadTooLargeException.class, "publishAll([fine, too big])",
        () -> courier().publisher().publishAll(topic, List.of(fine, tooBig)), wrong);
    check(wrong.isEmpty(), wrong.toString(), "Transport.capabilities() limits and the core's MessageValidator");
    checkNothingLeaked(topic, group);
  }

  /** Publishes a sentinel to {@code topic}; {@code group} must receive it and nothing else. */
  private void checkNothingLeaked(String topic, String group) {
    Message sentinel = publish(courier(), topic, messages("sentinel", 1)).get(0);
    Recorder r = recorder();
    subscribe(courier(), options(topic, group).build(), r.handler());
    check(r.awaitCompleted(Set.of(sentinel.id()), patience()), "the sentinel never arrived", "that messages arrive");
    Set<String> leaked = new HashSet<>(r.completedIds());
    leaked.remove(sentinel.id());
    check(leaked.isEmpty(), leaked.size() + " messages of a rejected call reached the broker",
        "that validation happens before any message of a call is sent");
  }

  @Test
  @DisplayName("TCK-11.4 without ORDERED_BY_KEY, subscribing with orderedByKey fails with UnsupportedCapabilityException")
  void orderingUnsupported() {
    requiresLacking(Capability.ORDERED_BY_KEY);
    List<String> wrong = new ArrayList<>();
    expect(UnsupportedCapabilityException.class, "subscribe(orderedByKey(true))",
        () -> subscribe(courier(), options(name("t"), name("g")).orderedByKey(true).build(), d -> {}), wrong);
    check(wrong.isEmpty(), wrong.toString(), "the core's capability check");
  }

  @Test
  @DisplayName("TCK-11.5 a publish delay beyond the adapter's maximum fails with IllegalArgumentException")
  void delayTooLong() {
    requires(Capability.DELAYED_PUBLISH);
    List<String> wrong = new ArrayList<>();
    Duration tooLong = limits().maxPublishDelay().plusSeconds(1);
    expect(IllegalArgumentException.class, "publishDelayed(maxPublishDelay + 1 s)",
        () -> courier().publisher().publishDelayed(name("t"), Message.of(new byte[] {1}), tooLong), wrong);
    expect(IllegalArgumentException.class, "publishDelayed(negative)",
        () -> courier().publisher().publishDelayed(name("t"), Message.of(new byte[] {1}), Duration.ofSeconds(-1)),
        wrong);
    check(wrong.isEmpty(), wrong.toString(), "Capabilities.maxPublishDelay() and the core's delay check");
  }

  @Test
  @DisplayName("TCK-11.7 a retry policy whose redelivery delay exceeds the adapter's maximum fails at subscribe with IllegalArgumentException")
  void redeliveryDelayTooLong() {
    Duration max = limits().maxRedeliveryDelay();
    RetryPolicy tooLong = RetryPolicy.builder().redeliveryMaxDelay(max.plusSeconds(1)).build();
    List<String> wrong = new ArrayList<>();
    expect(IllegalArgumentException.class, "subscribe(redeliveryMaxDelay = maxRedeliveryDelay + 1 s)",
        () -> subscribe(courier(), options(name("t"), name("g")).retry(tooLong).build(), d -> {}), wrong);
    RetryPolicy longest = RetryPolicy.builder().redeliveryMaxDelay(max).build();
    try {
      subscribe(courier(), options(name("t"), name("g")).retry(longest).build(), d -> {});
    } catch (RuntimeException e) {
      wrong.add("subscribe(redeliveryMaxDelay = maxRedeliveryDelay) threw " + e);
    }
    check(wrong.isEmpty(), wrong.toString(), "Capabilities.maxRedeliveryDelay() and the core's retry policy check");
  }

  @Test
  @DisplayName("TCK-11.6 a header with a reserved name (courier-*, x-courier-*) fails with IllegalArgumentException naming it, before any I/O")
  void reservedHeaders() {
    String topic = name("reserved");
    String group = name("g");
    courier().admin().ensureGroup(topic, group);
    List<String> wrong = new ArrayList<>();
    Message fine = Message.of(new byte[] {2});
    for (String reserved : List.of("courier-id", CourierHeaders.DLQ_REASON, "Courier-Redrive-Count", "x-courier-key")) {
      Message spoofed = Message.builder().header(reserved, "forged").payload(new byte[] {1}).build();
      expectNaming(reserved, "publish(header '" + reserved + "')",
          () -> courier().publisher().publish(topic, spoofed), wrong);
      expectNaming(reserved, "publishAll([fine, header '" + reserved + "'])",
          () -> courier().publisher().publishAll(topic, List.of(fine, spoofed)), wrong);
      if (courier().capabilities().has(Capability.DELAYED_PUBLISH)) {
        expectNaming(reserved, "publishDelayed(header '" + reserved + "')",
            () -> courier().publisher().publishDelayed(topic, spoofed, Duration.ofMillis(10)), wrong);
      }
    }
    check(wrong.isEmpty(), wrong.toString(), "the core's MessageValidator (Headers.isReserved)");
    checkNothingLeaked(topic, group);
  }

  /** Expects an IllegalArgumentException whose message quotes {@code name}. */
  private void expectNaming(String name, String call, Runnable action, List<String> wrong) {
    try {
      action.run();
      wrong.add(call + " did not throw");
    } catch (IllegalArgumentException e) {
      if (e.getMessage() == null || !e.getMessage().contains(name)) {
        wrong.add(call + " threw IllegalArgumentException without naming the header: " + e.getMessage());
      }
    } catch (RuntimeException e) {
      wrong.add(call + " threw " + e.getClass().getName() + " instead of IllegalArgumentException");
    }
  }
}
