package dev.courier.sqs;

import static dev.courier.sqs.SqsKeys.*;

import dev.courier.ConfigurationException;
import dev.courier.config.AdapterConfig;
import dev.courier.config.ConfigKey;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportProvider;
import java.util.List;

/** Registers the SQS adapter under the name {@value SqsTransport#NAME}; its keys are {@link SqsKeys}. */
public final class SqsTransportProvider implements TransportProvider {
  @Override
  public String name() {
    return SqsTransport.NAME;
  }

  @Override
  public List<ConfigKey<?>> configKeys() {
    return SqsKeys.ALL;
  }

  @Override
  public Transport create(AdapterConfig config) {
    return SqsTransport.create(settings(config));
  }

  /** The settings {@code config} describes; bad values fail with a ConfigurationException naming the key. */
  static SqsSettings settings(AdapterConfig config) {
    SqsSettings.Builder b = SqsSettings.builder().publishTimeout(config.publishTimeout());
    config.ifPresent(REGION, b::region);
    config.ifPresent(ENDPOINT, b::endpoint);
    config.ifPresent(ACCESS_KEY_ID, id -> b.credentials(id, config.find(SECRET_ACCESS_KEY).orElse(null)));
    if (config.find(SECRET_ACCESS_KEY).isPresent() && config.find(ACCESS_KEY_ID).isEmpty()) {
      throw new ConfigurationException("courier.sqs.secret-access-key is set without courier.sqs.access-key-id");
    }
    config.ifPresent(QUEUE_PREFIX, b::queuePrefix);
    config.ifPresent(TOPOLOGY, b::topology);
    config.ifPresent(VISIBILITY_TIMEOUT, b::visibilityTimeout);
    config.ifPresent(POLLERS, b::pollers);
    config.ifPresent(WAIT_TIME, b::waitTime);
    config.ifPresent(MAX_MESSAGE_BYTES, b::maxMessageBytes);
    config.ifPresent(FIFO_TOPICS, b::fifoTopics);
    try {
      return b.build();
    } catch (IllegalArgumentException e) {
      throw new ConfigurationException("invalid SQS configuration: " + e.getMessage(), e);
    }
  }
}
