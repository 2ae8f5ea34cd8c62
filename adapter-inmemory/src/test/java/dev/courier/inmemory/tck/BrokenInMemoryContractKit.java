package dev.courier.inmemory.tck;

import dev.courier.inmemory.InMemoryTransport;
import dev.courier.inmemory.tck.BrokenSpiTransport.Flaw;
import dev.courier.spi.Transport;
import dev.courier.tck.spi.TransportContractKit;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The contract kit against the in-memory transport with one {@link Flaw}, run only by
 * {@link ContractKitSelfTest}; its name matches none of surefire's patterns and
 * {@link OnlyInSelfTest} disables it anywhere else.
 */
@ExtendWith(BrokenInMemoryContractKit.OnlyInSelfTest.class)
class BrokenInMemoryContractKit extends TransportContractKit {
  /** Configuration parameter naming the flaw; set by {@link ContractKitSelfTest}. */
  static final String FLAW = "courier.spi-kit.self-test.flaw";
  private static final Duration LEASE = Duration.ofSeconds(3); // 1 s expired during SPI-5.1's 1 s quiet watch under load

  private final Flaw flaw;

  BrokenInMemoryContractKit(Flaw flaw) {
    this.flaw = flaw;
  }

  @Override
  protected Transport newTransport() {
    return new BrokenSpiTransport(InMemoryTransport.builder().ackTimeout(LEASE).build(), flaw);
  }

  @Override
  protected Optional<Duration> lease() {
    return Optional.of(LEASE);
  }

  /** Flawed rules fail by waiting in vain: they wait 2 s; the unflawed run keeps the default. */
  @Override
  protected Duration patience() {
    return flaw == Flaw.NONE ? super.patience() : Duration.ofSeconds(2);
  }

  /** Enables the class only when the self-test names a flaw, and hands the flaw to the constructor. */
  static final class OnlyInSelfTest extends SelfTestRuns.FlawParameter<Flaw> {
    OnlyInSelfTest() {
      super(FLAW, Flaw.class);
    }
  }
}
