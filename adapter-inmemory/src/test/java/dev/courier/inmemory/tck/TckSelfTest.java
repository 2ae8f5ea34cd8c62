package dev.courier.inmemory.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.inmemory.tck.BrokenTransport.Flaw;
import dev.courier.tck.internal.TckReportExtension;
import dev.courier.tck.internal.TckSettings;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestPlan;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Proves the TCK's rules can fail: each {@link Flaw} of {@link BrokenTransport} is run through
 * the rules that guard against it, which must report FAILED; the unflawed wrapper must pass the
 * same rules, so the failures come from the flaw alone. Rules no transport flaw can break (checks
 * the core enforces, and fault rules the in-memory broker cannot run) are listed with the reason.
 */
@DisplayName("The TCK fails deliberately broken adapters")
class TckSelfTest {
  private static final Pattern RULE = Pattern.compile("^(TCK-\\d+\\.\\d+)\\s.*", Pattern.DOTALL);

  /** For each flaw, the rules that must fail. */
  private static final Map<Flaw, Set<String>> MUST_FAIL = new EnumMap<>(Map.ofEntries(
      Map.entry(Flaw.LOSES_MESSAGES, Set.of("TCK-2.1", "TCK-2.2", "TCK-3.1")),
      Map.entry(Flaw.REORDERS_KEYS, Set.of("TCK-4.4", "TCK-7.1")),
      Map.entry(Flaw.ACKS_BEFORE_HANDLING, Set.of("TCK-9.1", "TCK-9.2")),
      Map.entry(Flaw.IGNORES_MAX_IN_FLIGHT, Set.of("TCK-8.2")),
      Map.entry(Flaw.DROPS_HEADERS, Set.of("TCK-1.1", "TCK-1.4", "TCK-5.1")),
      Map.entry(Flaw.TRUNCATES_PAYLOADS, Set.of("TCK-1.2", "TCK-1.3")),
      Map.entry(Flaw.REWRITES_IDS, Set.of("TCK-6.1")),
      Map.entry(Flaw.IGNORES_REDELIVERY_DELAY, Set.of("TCK-4.2")),
      Map.entry(Flaw.FORGETS_DELIVERY_COUNT, Set.of("TCK-4.1", "TCK-5.1")),
      Map.entry(Flaw.MERGES_GROUPS, Set.of("TCK-3.3")),
      Map.entry(Flaw.GROUP_PER_RECEIVER, Set.of("TCK-3.2", "TCK-3.4")),
      Map.entry(Flaw.MERGES_TOPICS, Set.of("TCK-3.5")),
      Map.entry(Flaw.IGNORES_PUBLISH_DELAY, Set.of("TCK-10.1", "TCK-10.3")),
      Map.entry(Flaw.HEAD_OF_LINE_DELAYS, Set.of("TCK-10.3")),
      Map.entry(Flaw.ACCEPTS_ANY_NAME, Set.of("TCK-11.1")),
      Map.entry(Flaw.OVERCLAIMED_BY_FIXTURE, Set.of("TCK-0.1")),
      Map.entry(Flaw.DROPS_BUFFER_ON_CLOSE, Set.of("TCK-9.6")),
      Map.entry(Flaw.NO_ROOM_FOR_COURIER_HEADERS, Set.of("TCK-5.4")),
      Map.entry(Flaw.IGNORES_LEASE_EXTENSION, Set.of("TCK-12.1")),
      Map.entry(Flaw.PEEK_CONSUMES, Set.of("TCK-5.5")),
      Map.entry(Flaw.DROPS_NACKED, Set.of("TCK-4.4")),
      Map.entry(Flaw.CONFIRMS_WHILE_DOWN, Set.of("TCK-2.3", "TCK-9.8")),
      Map.entry(Flaw.CONFIRMS_IN_DOUBT, Set.of("TCK-9.8")),
      Map.entry(Flaw.NEVER_RECOVERS, Set.of("TCK-9.3")),
      Map.entry(Flaw.FORGETS_ON_RESTART, Set.of("TCK-9.4", "TCK-9.8")),
      Map.entry(Flaw.RELEASE_LEAVES_ORIGINAL, Set.of("TCK-9.5")),
      Map.entry(Flaw.LOSES_ACKS_WHILE_CLOSING, Set.of("TCK-9.5")),
      Map.entry(Flaw.STRANDS_CRASHED_DELIVERIES, Set.of("TCK-9.7"))));

  /** The fault rules, which the simulated outage without a flaw must pass. */
  private static final Set<String> FAULT_RULES = Set.of("TCK-2.3", "TCK-9.3", "TCK-9.4", "TCK-9.8");

  /** Rules a flawed transport cannot break, and why; the coverage check accepts only these. */
  private static final Map<String, String> NOT_BREAKABLE_BY_A_TRANSPORT = Map.ofEntries(
      Map.entry("TCK-4.3", "in-process retries are the core's"),
      Map.entry("TCK-5.2", "decode failures are dead-lettered by the core"),
      Map.entry("TCK-5.3", "redrive is the core's"),
      Map.entry("TCK-8.1", "handler concurrency is the core's"),
      Map.entry("TCK-10.2", "the core checks the capability"),
      Map.entry("TCK-11.2", "the core checks arguments"),
      Map.entry("TCK-11.3", "the core checks declared limits"),
      Map.entry("TCK-11.4", "the core checks the capability"),
      Map.entry("TCK-11.5", "the core checks the declared maximum delays"),
      Map.entry("TCK-11.7", "the core checks the retry policy against the declared maximum redelivery delay"),
      Map.entry("TCK-11.6", "the core checks header names before handing a message to the transport"));

  /** Rules gated on a capability: with DECLARES_NOTHING they must be SKIPPED. */
  private static final Set<String> GATED = Set.of("TCK-3.3", "TCK-4.2", "TCK-5.5", "TCK-7.1", "TCK-10.1", "TCK-10.3",
      "TCK-11.5");

  static Stream<Arguments> flaws() {
    return MUST_FAIL.entrySet().stream().map(e -> Arguments.of(e.getKey(), new TreeSet<>(e.getValue())));
  }

  @ParameterizedTest(name = "{0} fails {1}")
  @MethodSource("flaws")
  @DisplayName("each flaw makes the rules that guard against it fail")
  void flawIsCaught(Flaw flaw, Set<String> mustFail) {
    Map<String, String> outcome = run(flaw, mustFail);
    for (String rule : mustFail) {
      assertEquals("FAILED", outcome.get(rule), () -> rule + " did not fail with flaw " + flaw
          + "; outcomes: " + outcome);
    }
  }

  @Test
  @DisplayName("the wrapper without a flaw passes every rule the flaws are checked with")
  void unflawedWrapperPasses() {
    Set<String> rules = new TreeSet<>();
    MUST_FAIL.values().forEach(rules::addAll);
    rules.remove("TCK-0.1"); // fails only through the fixture's claim, which NONE does not make
    rules.removeAll(FAULT_RULES);
    Map<String, String> outcome = run(Flaw.NONE, rules);
    for (String rule : rules) {
      assertEquals("PASSED", outcome.get(rule), () -> rule + " did not pass without a flaw: " + outcome);
    }
  }

  @Test
  @DisplayName("a simulated outage without a flaw passes the fault rules, so their failures come from the flaws")
  void simulatedOutagePassesFaultRules() {
    Map<String, String> outcome = run(Flaw.SIMULATED_OUTAGE, FAULT_RULES);
    for (String rule : FAULT_RULES) {
      assertEquals("PASSED", outcome.get(rule), () -> rule + " did not pass: " + outcome);
    }
  }

  @Test
  @DisplayName("rules for capabilities the adapter does not declare are reported SKIPPED with the reason, never PASSED")
  void undeclaredCapabilitiesAreSkipped() {
    Map<String, String> outcome = run(Flaw.DECLARES_NOTHING, GATED);
    for (String rule : GATED) {
      assertEquals("SKIPPED", outcome.get(rule), () -> rule + " was not skipped: " + outcome);
    }
    Map<String, String> lacking = run(Flaw.DECLARES_NOTHING, Set.of("TCK-10.2", "TCK-11.4"));
    assertEquals(Map.of("TCK-10.2", "PASSED", "TCK-11.4", "PASSED"), lacking,
        "rules for adapters lacking a capability must run, and pass, when it is not declared");
  }

  @Test
  @DisplayName("every rule of the TCK is either failed by some flaw or listed as not breakable through a transport")
  void everyRuleCanFail() {
    Set<String> all = discoverRuleIds();
    Set<String> covered = new HashSet<>(NOT_BREAKABLE_BY_A_TRANSPORT.keySet());
    MUST_FAIL.values().forEach(covered::addAll);
    Set<String> uncovered = new TreeSet<>(all);
    uncovered.removeAll(covered);
    assertTrue(uncovered.isEmpty(), "rules no flaw is shown to break: " + uncovered);
    Set<String> unknown = new TreeSet<>(covered);
    unknown.removeAll(all);
    assertTrue(unknown.isEmpty(), "the self-test names rules the TCK does not have: " + unknown);
  }

  /** Runs the given rules of the TCK on the flawed adapter; returns rule id → PASSED/FAILED/SKIPPED. */
  private static Map<String, String> run(Flaw flaw, Set<String> rules) {
    Map<String, String> outcome = SelfTestRuns.run(request(flaw, rules), RULE);
    assertEquals(new TreeSet<>(rules), outcome.keySet(), "rules that did not run with " + flaw);
    return outcome;
  }

  private static Set<String> discoverRuleIds() {
    TestPlan plan = LauncherFactory.create().discover(request(Flaw.NONE, null));
    Set<String> ids = new TreeSet<>();
    plan.getRoots().forEach(root -> plan.getDescendants(root).forEach(d -> SelfTestRuns.ruleId(d, RULE).ifPresent(ids::add)));
    return ids;
  }

  private static LauncherDiscoveryRequest request(Flaw flaw, Set<String> rules) {
    LauncherDiscoveryRequestBuilder b = LauncherDiscoveryRequestBuilder.request()
        .selectors(DiscoverySelectors.selectClass(BrokenInMemoryTck.class))
        .configurationParameter(BrokenInMemoryTck.FLAW, flaw.name())
        .configurationParameter(TckReportExtension.REPORT_DIR, "target/courier-tck/self-test")
        // Flawed rules fail by waiting in vain, so runs that must fail wait 1 s; runs that must pass
        // get the default patience, so a stalled CI machine cannot fail them.
        .configurationParameter(TckSettings.PATIENCE, mustPass(flaw) ? "20" : "1");
    if (rules != null) {
      b.filters(SelfTestRuns.onlyRules(RULE, rules));
    }
    return b.build();
  }

  /** Runs with these are expected to pass (or skip) every selected rule. */
  private static boolean mustPass(Flaw flaw) {
    return flaw == Flaw.NONE || flaw == Flaw.SIMULATED_OUTAGE || flaw == Flaw.DECLARES_NOTHING;
  }
}
