package dev.courier.inmemory.testlog;

import org.slf4j.helpers.BasicMDCAdapter;
import org.slf4j.simple.SimpleServiceProvider;
import org.slf4j.spi.MDCAdapter;

/**
 * slf4j-simple with a working MDC (its own is a no-op), so tests can see what Courier puts there.
 * Chosen by the {@code slf4j.provider} system property in this module's surefire configuration.
 */
public final class SimpleLoggingWithMdc extends SimpleServiceProvider {
  private final MDCAdapter mdc = new BasicMDCAdapter();

  @Override
  public MDCAdapter getMDCAdapter() {
    return mdc;
  }
}
