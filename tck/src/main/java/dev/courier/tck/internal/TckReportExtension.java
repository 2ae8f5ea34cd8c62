package dev.courier.tck.internal;

import dev.courier.tck.internal.TckReport.RuleResult;
import dev.courier.tck.internal.TckReport.Status;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Collects every rule's outcome of one TCK class into a {@link TckReport} and writes it when the
 * class finishes, to the directory named by the configuration parameter (or system property)
 * {@value #REPORT_DIR}, default {@code target/courier-tck}; {@code none} writes nothing. A rule's
 * display name starts with its id ({@code TCK-1.1 ...}). Aborted rules (failed assumptions) are
 * reported SKIPPED with the assumption's message as the reason, never PASSED. Rules receive the
 * report and the run's {@link TckSettings} as parameters.
 */
public final class TckReportExtension
    implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, TestWatcher, ParameterResolver {
  /** Where reports go. */
  public static final String REPORT_DIR = "courier.tck.report-dir";

  private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(TckReportExtension.class);
  private static final Pattern RULE = Pattern.compile("^(TCK-\\d+\\.\\d+)\\s+(.*)$", Pattern.DOTALL);
  private static final int MAX_REASON = 2000;

  private final Map<String, Long> startedNanos = new ConcurrentHashMap<>();

  @Override
  public void beforeAll(ExtensionContext context) {
    if (isOutermostClass(context)) {
      context.getStore(NS).put(TckReport.class, new TckReport());
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (!isOutermostClass(context)) {
      return;
    }
    TckReport report = report(context);
    String dir = context.getConfigurationParameter(REPORT_DIR).orElse("target/courier-tck");
    if (report != null && !dir.equalsIgnoreCase("none") && !report.rules().isEmpty()) {
      report.write(Path.of(dir));
    }
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    startedNanos.put(context.getUniqueId(), System.nanoTime());
  }

  @Override
  public void testSuccessful(ExtensionContext context) {
    record(context, Status.PASSED, "");
  }

  @Override
  public void testAborted(ExtensionContext context, Throwable cause) {
    record(context, Status.SKIPPED, reason(cause));
  }

  @Override
  public void testFailed(ExtensionContext context, Throwable cause) {
    record(context, Status.FAILED, reason(cause));
  }

  @Override
  public void testDisabled(ExtensionContext context, Optional<String> reason) {
    record(context, Status.SKIPPED, reason.orElse("disabled"));
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == TckReport.class || type == TckSettings.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    if (parameter.getParameter().getType() == TckSettings.class) {
      double seconds = context.getConfigurationParameter(TckSettings.PATIENCE).map(String::trim)
          .map(Double::parseDouble).orElse(20.0);
      return new TckSettings(java.time.Duration.ofMillis(Math.max(100, Math.round(seconds * 1000))));
    }
    TckReport report = report(context);
    return report != null ? report : new TckReport();
  }

  private void record(ExtensionContext context, Status status, String reason) {
    TckReport report = report(context);
    if (report == null) {
      return;
    }
    Long started = startedNanos.remove(context.getUniqueId());
    long millis = started == null ? 0 : (System.nanoTime() - started) / 1_000_000;
    Matcher m = RULE.matcher(context.getDisplayName());
    String id = m.matches() ? m.group(1) : context.getDisplayName();
    String title = m.matches() ? m.group(2) : context.getDisplayName();
    report.add(new RuleResult(id, title, status, reason, millis));
  }

  private static TckReport report(ExtensionContext context) {
    return context.getStore(NS).get(TckReport.class, TckReport.class);
  }

  private static boolean isOutermostClass(ExtensionContext context) {
    return context.getTestClass().isPresent()
        && context.getTestMethod().isEmpty()
        && context.getParent().map(p -> p.getParent().isEmpty()).orElse(false);
  }

  private static String reason(Throwable cause) {
    if (cause == null) {
      return "";
    }
    String text = cause.getMessage() != null ? cause.getMessage() : cause.getClass().getName();
    if (cause.getMessage() != null && !(cause instanceof AssertionError)
        && !cause.getClass().getName().startsWith("org.opentest4j")) {
      text = cause.getClass().getName() + ": " + text;
    }
    return text.length() <= MAX_REASON ? text : text.substring(0, MAX_REASON - 3) + "...";
  }
}
