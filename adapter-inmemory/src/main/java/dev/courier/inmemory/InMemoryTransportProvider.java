package dev.courier.inmemory;

import dev.courier.config.AdapterConfig;
import dev.courier.config.ConfigKey;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportProvider;
import java.time.Duration;
import java.util.List;

/** Registers the in-memory adapter under the name {@value InMemoryTransport#NAME}. */
public final class InMemoryTransportProvider implements TransportProvider {
  static final ConfigKey<String> BROKER_NAME = ConfigKey.optional("broker-name", null,
      "share the in-process broker registered under this name between Courier instances in one JVM")
      .shownDefault("private broker");
  static final ConfigKey<Integer> MAX_GROUP_BACKLOG = ConfigKey.integer("max-group-backlog", "1000000", 1,
      Integer.MAX_VALUE, "most unsettled messages one group holds; publishing beyond it fails with `CapacityExceededException`");
  static final ConfigKey<Duration> ACK_TIMEOUT = ConfigKey.duration("ack-timeout", "5m",
      "the broker's lease: a delivery whose handler started (or last extended its lease) this long ago without settling "
          + "is redelivered and counted, as after a consumer crash; Courier extends it every fifth of it while the handler "
          + "runs. One that waited this long for a free handler thread returns to the group uncounted (another consumer "
          + "may take it)");
  static final ConfigKey<Integer> MAX_PAYLOAD_BYTES = ConfigKey.integer("max-payload-bytes", "1048576", 1,
      64 * 1024 * 1024, "largest payload accepted (at most 64 MiB)");

  @Override
  public String name() {
    return InMemoryTransport.NAME;
  }

  @Override
  public List<ConfigKey<?>> configKeys() {
    return List.of(BROKER_NAME, MAX_GROUP_BACKLOG, ACK_TIMEOUT, MAX_PAYLOAD_BYTES);
  }

  @Override
  public Transport create(AdapterConfig config) {
    InMemoryTransport.Builder b = InMemoryTransport.builder()
        .maxGroupBacklog(config.get(MAX_GROUP_BACKLOG))
        .ackTimeout(config.get(ACK_TIMEOUT))
        .maxPayloadBytes(config.get(MAX_PAYLOAD_BYTES));
    config.find(BROKER_NAME).ifPresent(b::brokerName);
    return b.build();
  }
}
