package dev.courier.opentelemetry;

import dev.courier.pubsub.PubSubSettings;
import dev.courier.pubsub.PubSubTransport;
import dev.courier.spi.Transport;
import dev.courier.testsupport.PubSubEmulator;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;

@DisplayName("Tracing on Google Cloud Pub/Sub (emulator)")
class PubSubTracingTest extends TracingContract {
  @Override
  Transport transport() {
    PubSubEmulator e = PubSubEmulator.shared();
    return PubSubTransport.connect(PubSubSettings.builder().projectId(e.projectId()).emulatorHost(e.endpoint())
        .publishTimeout(Duration.ofSeconds(5)).adminTimeout(Duration.ofSeconds(20)).build());
  }

  @Override
  String uniqueTopic() {
    return "tracing-" + UUID.randomUUID();
  }

  @Override
  Duration redriveIdleTimeout() {
    return Duration.ofSeconds(3); // a new streaming pull's first messages
  }
}
