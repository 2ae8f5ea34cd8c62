package dev.courier.rabbitmq;

import static dev.courier.rabbitmq.RabbitMqKeys.*;

import dev.courier.ConfigurationException;
import dev.courier.config.AdapterConfig;
import dev.courier.config.ConfigKey;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportProvider;
import java.util.List;

/** Registers the RabbitMQ adapter under the name {@value RabbitMqTransport#NAME}; its keys are {@link RabbitMqKeys}. */
public final class RabbitMqTransportProvider implements TransportProvider {
  @Override
  public String name() {
    return RabbitMqTransport.NAME;
  }

  @Override
  public List<ConfigKey<?>> configKeys() {
    return RabbitMqKeys.ALL;
  }

  @Override
  public Transport create(AdapterConfig config) {
    return RabbitMqTransport.connect(settings(config));
  }

  /** The settings {@code config} describes; bad values fail with a ConfigurationException naming the key. */
  static RabbitMqSettings settings(AdapterConfig config) {
    RabbitMqSettings.Builder b = RabbitMqSettings.builder();
    config.ifPresent(HOST, b::host);
    config.ifPresent(VIRTUAL_HOST, b::virtualHost);
    config.ifPresent(USERNAME, b::username);
    config.ifPresent(PASSWORD, b::password);
    config.ifPresent(TLS, b::tls);
    config.ifPresent(PORT, b::port);
    config.ifPresent(URI, b::uri); // after the parts: the URI's parts override them
    config.ifPresent(TRUST_STORE, file -> b.trustStore(file, config.find(TRUST_STORE_PASSWORD).orElse(null)));
    config.ifPresent(TRUST_STORE_TYPE, b::trustStoreType);
    config.ifPresent(VERIFY_HOSTNAME, b::verifyHostname);
    config.ifPresent(CONNECTION_NAME, b::connectionName);
    config.ifPresent(CHANNEL_POOL_SIZE, b::channelPoolSize);
    config.ifPresent(QUEUE_TYPE, b::queueType);
    config.ifPresent(SINGLE_ACTIVE_CONSUMER, b::singleActiveConsumer);
    config.ifPresent(PUBLISH_TIMEOUT, b::publishTimeout);
    config.ifPresent(CONNECTION_TIMEOUT, b::connectionTimeout);
    config.ifPresent(RECOVERY_INTERVAL, b::recoveryInterval);
    config.ifPresent(MAX_PAYLOAD_BYTES, b::maxPayloadBytes);
    try {
      return b.build();
    } catch (IllegalArgumentException e) {
      // Builder messages never contain a password (the URI parser reports only the reason).
      throw new ConfigurationException("invalid RabbitMQ configuration: " + e.getMessage(), e);
    }
  }
}
