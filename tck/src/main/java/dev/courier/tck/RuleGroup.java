package dev.courier.tck;

import dev.courier.Capabilities;
import dev.courier.Capability;
import dev.courier.Courier;
import dev.courier.Headers;
import dev.courier.Message;
import dev.courier.MessageHandler;
import dev.courier.Subscription;
import dev.courier.SubscriptionOptions;
import dev.courier.tck.internal.Recorder;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

/**
 * The base of one group of {@link CourierTck} rules: what the rules share, taken from the running
 * kit ({@link TckSupport}), so that each group's file holds its rules only. A group is run as a
 * {@code @Nested} class of {@link CourierTck}, which hands it the kit.
 */
abstract class RuleGroup {
  private final TckSupport tck;

  RuleGroup(TckSupport tck) {
    this.tck = tck;
  }

  /** A subscription's options with short, test-friendly timeouts. */
  static SubscriptionOptions.Builder options(String topic, String group) {
    return SubscriptionOptions.builder(topic, group).drainTimeout(Duration.ofSeconds(10));
  }

  final Duration patience() {
    return tck.patience();
  }

  final TckFixture fixtureUnderTest() {
    return tck.fixtureUnderTest();
  }

  final Capabilities declared() {
    return tck.declared();
  }

  final Capabilities limits() {
    return tck.limits();
  }

  final Courier courier() {
    return tck.courier();
  }

  final Courier newCourier() {
    return tck.newCourier();
  }

  final String name(String purpose) {
    return tck.name(purpose);
  }

  final void blockUntilRuleEnds() {
    tck.blockUntilRuleEnds();
  }

  final Subscription subscribe(Courier on, SubscriptionOptions options, MessageHandler handler) {
    return tck.subscribe(on, options, handler);
  }

  final void requires(Capability capability) {
    tck.requires(capability);
  }

  final void requiresLacking(Capability capability) {
    tck.requiresLacking(capability);
  }

  final Duration lease() {
    return tck.lease();
  }

  final BrokerControl brokerControl() {
    return tck.brokerControl();
  }

  final void recordDuplicates(long n) {
    tck.recordDuplicates(n);
  }

  final void check(boolean ok, String observed, String whatToCheck) {
    tck.check(ok, observed, whatToCheck);
  }

  final String violation(String observed, String whatToCheck) {
    return tck.violation(observed, whatToCheck);
  }

  final void confirm(Collection<CompletableFuture<Void>> futures) {
    tck.confirm(futures);
  }

  final List<Message> publish(Courier on, String topic, List<Message> messages) {
    return tck.publish(on, topic, messages);
  }

  static List<Message> messages(String prefix, int n) {
    return TckSupport.messages(prefix, n);
  }

  static Set<String> ids(Collection<Message> messages) {
    return TckSupport.ids(messages);
  }

  static String missing(Set<String> expected, Set<String> actual) {
    return TckSupport.missing(expected, actual);
  }

  static Headers applicationHeaders(Headers headers) {
    return TckSupport.applicationHeaders(headers);
  }

  static boolean await(Duration timeout, BooleanSupplier condition) {
    return TckSupport.await(timeout, condition);
  }

  static Recorder recorder() {
    return TckSupport.recorder();
  }
}
