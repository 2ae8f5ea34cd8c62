package dev.courier.rabbitmq;

import dev.courier.spi.Transport;
import dev.courier.tck.spi.TransportContractKit;
import dev.courier.testsupport.RabbitMqServer;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;

/** The RabbitMQ transport against the SPI contract kit, on the shared server, with this run's names. */
@DisplayName("RabbitMQ transport keeps the SPI contract")
class RabbitMqContractTest extends TransportContractKit {
  private static final String PREFIX = "spi-" + LeftoverQueues.RUN + "-";

  @AfterAll
  static void deleteQueues() {
    LeftoverQueues.deleteStartingWith(PREFIX);
  }

  @Override
  protected Transport newTransport() {
    return RabbitMqTransport.connect(RabbitMqSettings.builder().uri(RabbitMqServer.shared().uri())
        .connectionName("courier-spi-kit").build());
  }

  @Override
  protected String uniqueName(String purpose) {
    return PREFIX + purpose + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xFFFFFFFFFFL);
  }
}
