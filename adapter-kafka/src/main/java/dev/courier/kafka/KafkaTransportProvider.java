package dev.courier.kafka;

import static dev.courier.kafka.KafkaKeys.*;

import dev.courier.ConfigurationException;
import dev.courier.config.AdapterConfig;
import dev.courier.config.ConfigKey;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportProvider;
import dev.courier.spi.support.HostPorts;
import java.util.List;

/**
 * Registers the Kafka adapter under the name {@value KafkaTransport#NAME}; its keys are
 * {@link KafkaKeys}. Native client properties go under {@code courier.kafka.client.*} (all
 * clients) or {@code courier.kafka.client.producer.*}, {@code .consumer.*}, {@code .admin.*}.
 */
public final class KafkaTransportProvider implements TransportProvider {
  @Override
  public String name() {
    return KafkaTransport.NAME;
  }

  @Override
  public List<ConfigKey<?>> configKeys() {
    return KafkaKeys.ALL;
  }

  @Override
  public Transport create(AdapterConfig config) {
    KafkaSettings s;
    try {
      s = settings(config).settings();
    } catch (IllegalArgumentException e) {
      throw new ConfigurationException("invalid Kafka configuration: " + e.getMessage(), e);
    }
    return new KafkaTransport(s);
  }

  /** The builder for {@code config}, validated: bad values fail with a ConfigurationException naming the key. */
  static KafkaSettings.Builder settings(AdapterConfig config) {
    String servers = config.get(BOOTSTRAP_SERVERS);
    try {
      HostPorts.checkList("configuration key 'courier.kafka." + BOOTSTRAP_SERVERS.name() + "'", servers);
    } catch (IllegalArgumentException e) {
      throw new ConfigurationException(e.getMessage(), e);
    }
    KafkaSettings.Builder b = KafkaTransport.builder(servers).publishTimeout(config.publishTimeout());
    config.ifPresent(CLIENT_ID, b::clientId);
    TUNING.forEach(key -> copy(config, key, b));
    config.ifPresent(SECURITY_PROTOCOL, b::securityProtocol);
    config.ifPresent(SASL_MECHANISM, m -> b.sasl(m, config.find(SASL_USERNAME).orElseThrow(() -> missing(SASL_USERNAME)),
        config.find(SASL_PASSWORD).orElseThrow(() -> missing(SASL_PASSWORD))));
    config.ifPresent(SSL_TRUSTSTORE_LOCATION, l -> b.truststore(l, config.find(SSL_TRUSTSTORE_PASSWORD).orElse(null)));
    config.ifPresent(SSL_KEYSTORE_LOCATION, l -> b.keystore(l, config.find(SSL_KEYSTORE_PASSWORD).orElse(null),
        config.find(SSL_KEY_PASSWORD).orElse(null)));
    config.clientProperties().forEach(b::clientProperty);
    return b;
  }

  private static <T> void copy(AdapterConfig config, ConfigKey<T> key, KafkaSettings.Builder b) {
    config.ifPresent(key, value -> b.set(key, key.name(), value));
  }

  private static ConfigurationException missing(ConfigKey<?> key) {
    return new ConfigurationException("configuration key 'courier.kafka." + key.name() + "' is required when 'courier.kafka."
        + SASL_MECHANISM.name() + "' is set");
  }
}
