package dev.courier.pubsub;

import dev.courier.spi.Transport;
import dev.courier.tck.spi.TransportContractKit;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;

/** The Pub/Sub transport against the SPI contract kit, on the run's emulator. */
@DisplayName("Pub/Sub transport keeps the SPI contract")
class PubSubContractTest extends TransportContractKit {
  @Override
  protected Transport newTransport() {
    return PubSubTestSupport.newTransport();
  }

  @Override
  protected Optional<Duration> lease() {
    return Optional.of(PubSubTestSupport.ACK_DEADLINE);
  }

  @Override
  protected String uniqueName(String purpose) {
    return PubSubTestSupport.uniqueName("spi-" + purpose);
  }
}
