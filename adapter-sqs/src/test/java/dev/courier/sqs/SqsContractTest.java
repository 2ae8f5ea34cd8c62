package dev.courier.sqs;

import dev.courier.spi.Transport;
import dev.courier.tck.spi.TransportContractKit;
import dev.courier.testsupport.ElasticMqServer;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;

/** The SQS transport against the SPI contract kit, on the shared ElasticMQ server, with a short lease. */
@DisplayName("SQS transport keeps the SPI contract")
class SqsContractTest extends TransportContractKit {
  static final Duration LEASE = Duration.ofSeconds(2);

  @Override
  protected Transport newTransport() {
    return SqsTransport.create(SqsTestSupport.settings(ElasticMqServer.shared()).visibilityTimeout(LEASE).build());
  }

  @Override
  protected Optional<Duration> lease() {
    return Optional.of(LEASE);
  }
}
