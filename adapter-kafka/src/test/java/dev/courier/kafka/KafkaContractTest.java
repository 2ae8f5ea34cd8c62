package dev.courier.kafka;

import dev.courier.spi.Transport;
import dev.courier.tck.spi.TransportContractKit;
import org.junit.jupiter.api.DisplayName;

/** The Kafka transport against the SPI contract kit, on the run's shared test broker, one partition per topic. */
@DisplayName("Kafka transport keeps the SPI contract")
class KafkaContractTest extends TransportContractKit {
  @Override
  protected Transport newTransport() {
    return KafkaTestSupport.transport().partitions(1).build();
  }
}
