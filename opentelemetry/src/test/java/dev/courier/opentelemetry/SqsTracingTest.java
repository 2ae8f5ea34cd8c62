package dev.courier.opentelemetry;

import dev.courier.spi.Transport;
import dev.courier.sqs.SqsSettings;
import dev.courier.sqs.SqsTopology;
import dev.courier.sqs.SqsTransport;
import dev.courier.testsupport.FauxqsServer;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;

/** On the SNS topology, where trace context must survive SQS's attribute limit (packing). */
@DisplayName("Tracing on SQS with SNS (fauxqs)")
class SqsTracingTest extends TracingContract {
  @Override
  Transport transport() {
    return SqsTransport.create(SqsSettings.builder().endpoint(FauxqsServer.shared().endpoint())
        .credentials("test", "test").topology(SqsTopology.SNS).waitTime(Duration.ofSeconds(1))
        .publishTimeout(Duration.ofSeconds(10)).build());
  }

  @Override
  String uniqueTopic() {
    return "tracing-" + UUID.randomUUID();
  }

  @Override
  Duration redriveIdleTimeout() {
    return Duration.ofSeconds(3); // a new consumer's first long poll
  }
}
