package dev.courier.inmemory.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.inmemory.tck.BrokenSpiTransport.Flaw;
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
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;

/**
 * Proves every rule of the SPI contract kit can fail: each {@link Flaw} of {@link BrokenSpiTransport}
 * is run through the rules that guard against it, which must fail; the unflawed wrapper passes them
 * all, so the failures come from the flaws alone.
 */
@DisplayName("The SPI contract kit fails deliberately broken transports")
class ContractKitSelfTest {
  private static final Pattern RULE = Pattern.compile("^(SPI-\\d+\\.\\d+)\\s.*", Pattern.DOTALL);

  /** For each flaw, the rules that must fail. */
  private static final Map<Flaw, Set<String>> MUST_FAIL = new EnumMap<>(Map.of(
      Flaw.COUNTS_RELEASE, Set.of("SPI-1.1", "SPI-1.3"),
      Flaw.LOSES_RELEASES, Set.of("SPI-1.1", "SPI-1.3"),
      Flaw.COUNTS_DEFER, Set.of("SPI-1.2"),
      Flaw.SETTLES_TWICE, Set.of("SPI-2.1", "SPI-2.2", "SPI-2.3"),
      Flaw.SETTLES_AFTER_CLOSE, Set.of("SPI-3.1"),
      Flaw.KEEPS_UNSETTLED_ON_CLOSE, Set.of("SPI-3.1", "SPI-3.2"),
      Flaw.STARTS_WITHDRAWN, Set.of("SPI-4.1"),
      Flaw.WITHDRAWS_STARTED, Set.of("SPI-4.2"),
      Flaw.IGNORES_MAX_IN_FLIGHT, Set.of("SPI-5.1"),
      Flaw.IGNORES_LEASE_EXTENSION, Set.of("SPI-6.1")));

  static Stream<Arguments> flaws() {
    return MUST_FAIL.entrySet().stream().map(e -> Arguments.of(e.getKey(), new TreeSet<>(e.getValue())));
  }

  @ParameterizedTest(name = "{0} fails {1}")
  @MethodSource("flaws")
  @DisplayName("each flaw makes the rules that guard against it fail")
  void flawIsCaught(Flaw flaw, Set<String> mustFail) {
    Map<String, String> outcome = run(flaw, mustFail);
    for (String rule : mustFail) {
      assertEquals("FAILED", outcome.get(rule), () -> rule + " did not fail with " + flaw + "; outcomes: " + outcome);
    }
  }

  @Test
  @DisplayName("the wrapper without a flaw passes every rule, and every rule is failed by some flaw")
  void unflawedWrapperPassesAndEveryRuleCanFail() {
    Map<String, String> outcome = run(Flaw.NONE, null);
    outcome.forEach((rule, result) -> assertEquals("PASSED", result, () -> rule + " did not pass without a flaw: " + outcome));
    Set<String> covered = new HashSet<>();
    MUST_FAIL.values().forEach(covered::addAll);
    Set<String> uncovered = new TreeSet<>(outcome.keySet());
    uncovered.removeAll(covered);
    assertTrue(uncovered.isEmpty(), "rules no flaw is shown to break: " + uncovered);
    assertTrue(outcome.keySet().containsAll(covered), "the self-test names rules the kit does not have: " + covered);
  }

  /** Runs the given rules (null: all) on the flawed transport; returns rule id → PASSED/FAILED/SKIPPED. */
  private static Map<String, String> run(Flaw flaw, Set<String> rules) {
    Map<String, String> outcome = SelfTestRuns.run(LauncherDiscoveryRequestBuilder.request()
        .selectors(DiscoverySelectors.selectClass(BrokenInMemoryContractKit.class))
        .configurationParameter(BrokenInMemoryContractKit.FLAW, flaw.name())
        .filters(SelfTestRuns.onlyRules(RULE, rules))
        .build(), RULE);
    if (rules != null) {
      assertEquals(new TreeSet<>(rules), outcome.keySet(), "rules that did not run with " + flaw);
    }
    return outcome;
  }
}
