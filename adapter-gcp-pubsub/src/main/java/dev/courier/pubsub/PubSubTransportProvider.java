package dev.courier.pubsub;

import static dev.courier.pubsub.PubSubKeys.*;

import dev.courier.ConfigurationException;
import dev.courier.config.AdapterConfig;
import dev.courier.config.ConfigKey;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportProvider;
import java.time.Duration;
import java.util.List;

/** Registers the Pub/Sub adapter under the name {@value PubSubTransport#NAME}; its keys are {@link PubSubKeys}. */
public final class PubSubTransportProvider implements TransportProvider {
  @Override
  public String name() {
    return PubSubTransport.NAME;
  }

  @Override
  public List<ConfigKey<?>> configKeys() {
    return PubSubKeys.ALL;
  }

  @Override
  public Transport create(AdapterConfig config) {
    return PubSubTransport.connect(settings(config));
  }

  /** The settings {@code config} describes; bad values fail with a ConfigurationException naming the key. */
  static PubSubSettings settings(AdapterConfig config) {
    PubSubSettings.Builder b = PubSubSettings.builder();
    try {
      config.ifPresent(PROJECT_ID, b::projectId);
      config.ifPresent(EMULATOR_HOST, b::emulatorHost);
      config.ifPresent(ENDPOINT, b::endpoint);
      config.ifPresent(CREDENTIALS_FILE, b::credentialsFile);
      config.ifPresent(ACK_DEADLINE, b::ackDeadline);
      config.ifPresent(MAX_LEASE_EXTENSION, b::maxLeaseExtension);
      config.ifPresent(PARALLEL_PULL_COUNT, b::parallelPullCount);
      config.ifPresent(MAX_OUTSTANDING_BYTES, b::maxOutstandingBytes);
      config.ifPresent(BATCH_MAX_MESSAGES, b::batchMaxMessages);
      config.ifPresent(BATCH_MAX_BYTES, b::batchMaxBytes);
      config.ifPresent(BATCH_DELAY, b::batchDelay);
      Duration publishTimeout = config.find(PUBLISH_TIMEOUT).orElse(PUBLISH_TIMEOUT.parsedDefault());
      // Give up before Courier does, so that a publish Courier failed is not stored later.
      b.publishTimeout(publishTimeout.compareTo(config.publishTimeout()) < 0 ? publishTimeout : config.publishTimeout());
      config.ifPresent(ADMIN_TIMEOUT, b::adminTimeout);
      return b.build();
    } catch (IllegalArgumentException e) {
      throw new ConfigurationException("invalid Pub/Sub configuration: " + e.getMessage(), e);
    }
  }
}
