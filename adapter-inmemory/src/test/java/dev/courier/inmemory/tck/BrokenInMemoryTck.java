package dev.courier.inmemory.tck;

import dev.courier.Capabilities;
import dev.courier.Courier;
import dev.courier.inmemory.InMemoryBroker;
import dev.courier.inmemory.InMemoryTransport;
import dev.courier.tck.BrokerControl;
import dev.courier.inmemory.tck.BrokenTransport.Flaw;
import dev.courier.tck.CourierTck;
import dev.courier.tck.TckFixture;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * The TCK against the in-memory adapter with one {@link Flaw}, run only by {@link TckSelfTest}
 * through the JUnit Platform Launcher. Its name matches none of surefire's test patterns, and
 * {@link OnlyInSelfTest} disables it anywhere else, so a broken run never counts as a test or
 * overwrites the in-memory report (its reports are named {@code inmemory-broken-<flaw>}).
 */
@ExtendWith(BrokenInMemoryTck.OnlyInSelfTest.class)
class BrokenInMemoryTck extends CourierTck {
  /** Configuration parameter naming the flaw; set by {@link TckSelfTest}. */
  static final String FLAW = "courier.tck.self-test.flaw";

  private final Flaw flaw;

  BrokenInMemoryTck(Flaw flaw) {
    this.flaw = flaw;
  }

  @Override
  protected TckFixture fixture() {
    Flaw current = flaw;
    String broker = "tck-broken-" + UUID.randomUUID();
    BrokenTransport.Outage outage = current.simulatesOutage() ? new BrokenTransport.Outage(broker, current) : null;
    return new TckFixture() {
      @Override
      public Courier newCourier() {
        InMemoryTransport real = InMemoryTransport.builder().brokerName(broker).build();
        return Courier.builder().transport(new BrokenTransport(real, current, outage))
            .publishTimeout(Duration.ofSeconds(2)).build();
      }

      @Override
      public Optional<BrokerControl> brokerControl() {
        return Optional.ofNullable(outage);
      }

      @Override
      public void close() {
        InMemoryBroker.discard(broker);
      }

      @Override
      public Capabilities capabilities() {
        try (Courier c = newCourier()) {
          return current == Flaw.OVERCLAIMED_BY_FIXTURE
              ? BrokenTransport.overclaimed(c.capabilities()) : c.capabilities();
        }
      }
    };
  }

  /** Enables the class only when the self-test names a flaw, and hands the flaw to the constructor. */
  static final class OnlyInSelfTest implements ExecutionCondition, ParameterResolver {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
      return context.getConfigurationParameter(FLAW).isPresent()
          ? ConditionEvaluationResult.enabled("run by TckSelfTest")
          : ConditionEvaluationResult.disabled("a deliberately broken adapter, run only by TckSelfTest");
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
      return parameter.getParameter().getType() == Flaw.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
      return Flaw.valueOf(context.getConfigurationParameter(FLAW).orElseThrow());
    }
  }
}
