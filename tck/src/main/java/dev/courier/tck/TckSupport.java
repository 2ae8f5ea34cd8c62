package dev.courier.tck;

import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.courier.Capabilities;
import dev.courier.Capability;
import dev.courier.Courier;
import dev.courier.Headers;
import dev.courier.Message;
import dev.courier.MessageHandler;
import dev.courier.Subscription;
import dev.courier.SubscriptionOptions;
import dev.courier.testsupport.Poll;
import dev.courier.tck.internal.Recorder;
import dev.courier.tck.internal.TckReport;
import dev.courier.tck.internal.TckReportExtension;
import dev.courier.tck.internal.TckSettings;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What the rules of {@link CourierTck} share: the fixture, the Couriers and subscriptions a rule
 * opened (closed when it ends), unique names, publishing with confirmation, capability gates and
 * failure messages that quote the rule. Each rule's display name starts with its stable id
 * ({@code TCK-3.1}); the report written after the run lists every rule as PASSED, FAILED or
 * SKIPPED with the reason.
 */
@ExtendWith(TckReportExtension.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
public abstract class TckSupport {
  private final Deque<AutoCloseable> resources = new ArrayDeque<>();
  private final java.util.List<Subscription> subscriptions = new java.util.ArrayList<>();
  private final CountDownLatch release = new CountDownLatch(1);
  private TckFixture fixture;
  private Capabilities declared;
  private TckReport report;
  private String rule = "";
  private boolean faultRule;
  private Courier courier;
  private Duration patience = Duration.ofSeconds(20);

  TckSupport() {}

  /** JUnit tag of the rules that stop and start the broker through {@link TckFixture#brokerControl()}. */
  public static final String FAULT_RULE = "courier-tck-fault";

  /**
   * The adapter under test. Called once per rule; return a new fixture each time.
   * {@link #isFaultRule()} tells whether this rule will stop and start the broker, e.g. to give
   * such rules a private broker.
   */
  protected abstract TckFixture fixture();

  /** Whether the rule being set up stops and starts the broker (tagged {@value #FAULT_RULE}). */
  protected final boolean isFaultRule() {
    return faultRule;
  }

  @BeforeEach
  final void openRule(TestInfo info, TckReport tckReport, TckSettings settings) {
    this.rule = info.getDisplayName();
    this.faultRule = info.getTags().contains(FAULT_RULE);
    this.patience = settings.patience();
    this.report = tckReport;
    this.fixture = Objects.requireNonNull(fixture(), "fixture() returned null");
    this.courier = newCourier();
    this.declared = Objects.requireNonNull(fixture.capabilities(), "fixture.capabilities() returned null");
    report.describe(courier.adapter(),
        declared.features().stream().map(Enum::name).sorted().toList(), fixture.emulator());
  }

  @AfterEach
  final void closeRule() throws Exception {
    release.countDown();
    subscriptions.stream().map(Subscription::inFlight).max(java.util.Comparator.comparingDouble(
        f -> (double) f.peak() / f.limit())).ifPresent(f -> report.observeInFlight(ruleId(), f.peak(), f.limit()));
    Exception first = null;
    if (fixture != null) {
      resources.addLast(fixture); // closed last, after the Couriers it made
    }
    while (!resources.isEmpty()) {
      try {
        resources.pop().close();
      } catch (Exception e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }

  // ---- what rules use -------------------------------------------------------------------------

  /**
   * How long a rule waits for something that should happen before failing: configuration
   * parameter or system property {@code courier.tck.patience-seconds}, default 20.
   */
  protected final Duration patience() {
    return patience;
  }

  protected final TckFixture fixtureUnderTest() {
    return fixture;
  }

  /** The capabilities the fixture says the adapter has; capability gates use these. */
  protected final Capabilities declared() {
    return declared;
  }

  /** The adapter's limits (payload, headers, delay), as its Courier reports them. */
  protected final Capabilities limits() {
    return courier.capabilities();
  }

  /** The rule's Courier, opened before the rule started. */
  protected final Courier courier() {
    return courier;
  }

  /** Another Courier on the same broker, closed when the rule ends. */
  protected final Courier newCourier() {
    Courier c = Objects.requireNonNull(fixture.newCourier(), "fixture.newCourier() returned null");
    resources.push(c);
    return c;
  }

  protected final String name(String purpose) {
    return fixture.uniqueName(purpose);
  }

  /** Counted down when the rule ends: handlers that must block until then wait on it. */
  protected final void blockUntilRuleEnds() {
    boolean interrupted = false;
    while (true) {
      try {
        if (release.await(1, TimeUnit.SECONDS)) {
          break;
        }
      } catch (InterruptedException e) {
        interrupted = true; // a "crashed" consumer ignores the interrupt Courier sends on close
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  protected final Subscription subscribe(Courier on, SubscriptionOptions options, MessageHandler handler) {
    Subscription s = on.subscribe(options, handler);
    resources.push(s);
    subscriptions.add(s);
    return s;
  }

  /** Skips the rule, with the reason, unless the adapter declares {@code capability}. */
  protected final void requires(Capability capability) {
    assumeTrue(declared.has(capability),
        () -> "the adapter does not declare " + capability + ", which this rule checks");
  }

  /** Skips the rule, with the reason, if the adapter declares {@code capability}. */
  protected final void requiresLacking(Capability capability) {
    assumeFalse(declared.has(capability),
        () -> "the adapter declares " + capability + "; this rule checks adapters without it");
  }

  /** The broker's lease from {@link TckFixture#lease()}; skips the rule, with the reason, without one. */
  protected final Duration lease() {
    assumeTrue(fixture.lease().isPresent(),
        "the fixture declares no broker lease (TckFixture.lease() is empty), which this rule checks");
    return fixture.lease().get();
  }

  /** Skips the rule unless the fixture can stop and start the broker. */
  protected final BrokerControl brokerControl() {
    assumeTrue(fixture.brokerControl().isPresent(),
        "fixture cannot stop the broker (TckFixture.brokerControl() is empty)");
    return fixture.brokerControl().get();
  }

  protected final void recordDuplicates(long n) {
    report.addDuplicates(ruleId(), n);
  }

  private String ruleId() {
    int space = rule.indexOf(' ');
    return space < 0 ? rule : rule.substring(0, space);
  }

  /** Fails the rule, quoting it, saying what was observed and what to check, unless {@code ok}. */
  protected final void check(boolean ok, String observed, String whatToCheck) {
    if (!ok) {
      throw new AssertionError(violation(observed, whatToCheck));
    }
  }

  protected final String violation(String observed, String whatToCheck) {
    return "Rule " + rule + " violated: " + observed + ". Check: " + whatToCheck;
  }

  /** Waits for every future; fails the rule if one fails or does not complete within the patience. */
  protected final void confirm(Collection<CompletableFuture<Void>> futures) {
    CompletableFuture<Void> all = CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new));
    try {
      all.get(patience.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      long pending = futures.stream().filter(f -> !f.isDone()).count();
      throw new AssertionError(violation(pending + " of " + futures.size()
          + " publishes were not confirmed within " + patience,
          "that send() completes its future when the broker confirms, and within the publish timeout"));
    } catch (ExecutionException e) {
      throw new AssertionError(violation("a publish failed: " + e.getCause(),
          "that the broker accepts messages from this adapter"), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** Publishes {@code messages} in order and waits until all are confirmed. */
  protected final List<Message> publish(Courier on, String topic, List<Message> messages) {
    List<CompletableFuture<Void>> futures = new ArrayList<>(messages.size());
    for (Message m : messages) {
      futures.add(on.publisher().publish(topic, m));
    }
    confirm(futures);
    return messages;
  }

  /** {@code n} small messages with payload {@code "<prefix>-<i>"}. */
  protected static List<Message> messages(String prefix, int n) {
    List<Message> list = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      list.add(Message.of((prefix + "-" + i).getBytes(StandardCharsets.UTF_8)));
    }
    return list;
  }

  protected static Set<String> ids(Collection<Message> messages) {
    return messages.stream().map(Message::id).collect(Collectors.toCollection(LinkedHashSet::new));
  }

  /** The ids of {@code expected} not in {@code actual}, at most five, for failure messages. */
  protected static String missing(Set<String> expected, Set<String> actual) {
    Set<String> missing = new TreeSet<>(expected);
    missing.removeAll(actual);
    return missing.size() + " of " + expected.size() + " never arrived (e.g. "
        + missing.stream().limit(5).toList() + ")";
  }

  /** The application headers of {@code headers}: Courier's own {@code courier-*} ones removed. */
  protected static Headers applicationHeaders(Headers headers) {
    Headers h = headers;
    for (String name : headers.names()) {
      if (name.startsWith(Headers.RESERVED_PREFIX)) {
        h = h.without(name);
      }
    }
    return h;
  }

  protected static boolean await(Duration timeout, java.util.function.BooleanSupplier condition) {
    return Poll.until(timeout, condition);
  }

  /** A recorder for handler calls. */
  protected static Recorder recorder() {
    return new Recorder();
  }
}
