package dev.courier.opentelemetry;

import dev.courier.inmemory.InMemoryTransport;
import dev.courier.spi.Transport;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;

@DisplayName("Tracing on the in-memory adapter")
class InMemoryTracingTest extends TracingContract {
  private static final AtomicLong SEQ = new AtomicLong();
  /** One broker per test, shared by the test's Couriers (a second one publishes untraced). */
  private final String broker = "tracing-" + SEQ.incrementAndGet();

  @Override
  Transport transport() {
    return InMemoryTransport.builder().brokerName(broker).build();
  }

  @Override
  String uniqueTopic() {
    return "orders-" + SEQ.incrementAndGet();
  }
}
