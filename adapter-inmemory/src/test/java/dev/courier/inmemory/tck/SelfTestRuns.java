package dev.courier.inmemory.tck;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.engine.FilterResult;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.PostDiscoveryFilter;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * What the self-tests of the TCK and of the SPI contract kit share: running a suite's rules on a
 * deliberately broken transport through the JUnit Platform Launcher, and keeping the broken suite
 * disabled everywhere else.
 */
final class SelfTestRuns {
  private SelfTestRuns() {}

  /** Runs the request; returns rule id (the display name's {@code rule} group) → PASSED/FAILED/SKIPPED. */
  static Map<String, String> run(LauncherDiscoveryRequest request, Pattern rule) {
    Map<String, String> outcome = new ConcurrentHashMap<>();
    LauncherFactory.create().execute(request, new TestExecutionListener() {
      @Override
      public void executionFinished(TestIdentifier id, TestExecutionResult result) {
        ruleId(id, rule).ifPresent(r -> outcome.put(r, switch (result.getStatus()) {
          case SUCCESSFUL -> "PASSED";
          case FAILED -> "FAILED";
          case ABORTED -> "SKIPPED";
        }));
      }

      @Override
      public void executionSkipped(TestIdentifier id, String reason) {
        ruleId(id, rule).ifPresent(r -> outcome.put(r, "SKIPPED"));
      }
    });
    return new TreeMap<>(outcome);
  }

  /** Keeps the rules in {@code rules} (all when null), and every container. */
  static PostDiscoveryFilter onlyRules(Pattern rule, Set<String> rules) {
    return d -> {
      Matcher m = rule.matcher(d.getDisplayName());
      if (rules == null || !d.isTest() || !m.matches()) {
        return FilterResult.included("container or all rules");
      }
      return rules.contains(m.group(1)) ? FilterResult.included("selected") : FilterResult.excluded("not selected");
    };
  }

  static Optional<String> ruleId(TestIdentifier id, Pattern rule) {
    Matcher m = rule.matcher(id.getDisplayName());
    return id.isTest() && m.matches() ? Optional.of(m.group(1)) : Optional.empty();
  }

  /**
   * Enables a broken suite only when its self-test names a flaw in configuration parameter
   * {@code key}, and hands the flaw to the suite's constructor.
   */
  abstract static class FlawParameter<E extends Enum<E>> implements ExecutionCondition, ParameterResolver {
    private final String key;
    private final Class<E> type;

    FlawParameter(String key, Class<E> type) {
      this.key = key;
      this.type = type;
    }

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
      return context.getConfigurationParameter(key).isPresent()
          ? ConditionEvaluationResult.enabled("run by its self-test")
          : ConditionEvaluationResult.disabled("a deliberately broken transport, run only by its self-test");
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
      return parameter.getParameter().getType() == type;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
      return Enum.valueOf(type, context.getConfigurationParameter(key).orElseThrow());
    }
  }
}
