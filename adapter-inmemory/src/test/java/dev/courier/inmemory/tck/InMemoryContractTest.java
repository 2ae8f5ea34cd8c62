package dev.courier.inmemory.tck;

import dev.courier.inmemory.InMemoryTransport;
import dev.courier.spi.Transport;
import dev.courier.tck.spi.TransportContractKit;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;

/** The in-memory transport against the SPI contract kit; its ack timeout is the lease. */
@DisplayName("In-memory transport keeps the SPI contract")
class InMemoryContractTest extends TransportContractKit {
  private static final Duration ACK_TIMEOUT = Duration.ofSeconds(3); // longer than the kit's 1 s quiet watches, with room for a loaded machine

  @Override
  protected Transport newTransport() {
    return InMemoryTransport.builder().ackTimeout(ACK_TIMEOUT).build();
  }

  @Override
  protected Optional<Duration> lease() {
    return Optional.of(ACK_TIMEOUT);
  }
}
