package dev.courier.inmemory;

import dev.courier.config.AdapterConfig;
import dev.courier.config.ConfigKey;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportProvider;
import java.util.List;

/** Registers the in-memory adapter under the name {@value InMemoryTransport#NAME}. */
public final class InMemoryTransportProvider implements TransportProvider {
  static final ConfigKey BROKER_NAME = ConfigKey.optional("broker-name", null,
      "Share the in-process broker registered under this name between Courier instances in one JVM; unset: a private broker");
  static final ConfigKey MAX_GROUP_BACKLOG = ConfigKey.optional("max-group-backlog", "1000000",
      "Most unsettled messages one group holds; publishing beyond it fails with CapacityExceededException");
  static final ConfigKey ACK_TIMEOUT = ConfigKey.optional("ack-timeout", "5m",
      "The lease: a delivery whose handler started (or last extended its lease) this long ago without settling is "
          + "redelivered, as after a consumer crash; Courier extends it every fifth of it while the handler runs");
  static final ConfigKey MAX_PAYLOAD_BYTES = ConfigKey.optional("max-payload-bytes", "1048576",
      "Largest payload accepted, in bytes (at most 64 MiB)");

  @Override
  public String name() {
    return InMemoryTransport.NAME;
  }

  @Override
  public List<ConfigKey> configKeys() {
    return List.of(BROKER_NAME, MAX_GROUP_BACKLOG, ACK_TIMEOUT, MAX_PAYLOAD_BYTES);
  }

  @Override
  public Transport create(AdapterConfig config) {
    InMemoryTransport.Builder b = InMemoryTransport.builder()
        .maxGroupBacklog(config.getInt(MAX_GROUP_BACKLOG.name()))
        .ackTimeout(config.getDuration(ACK_TIMEOUT.name()))
        .maxPayloadBytes(config.getInt(MAX_PAYLOAD_BYTES.name()));
    config.find(BROKER_NAME.name()).ifPresent(b::brokerName);
    return b.build();
  }
}
