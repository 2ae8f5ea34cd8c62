package dev.courier.kafka;

import dev.courier.ConfigurationException;
import dev.courier.config.AdapterConfig;
import dev.courier.config.ConfigKey;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportProvider;
import java.util.List;

/**
 * Registers the Kafka adapter under the name {@value KafkaTransport#NAME}. Native client
 * properties go under {@code courier.kafka.client.*} (all clients) or
 * {@code courier.kafka.client.producer.*}, {@code .consumer.*}, {@code .admin.*}.
 */
public final class KafkaTransportProvider implements TransportProvider {
  static final ConfigKey BOOTSTRAP_SERVERS = ConfigKey.required("bootstrap-servers",
      "Kafka brokers to connect to, " + BootstrapServers.FORMAT);
  static final ConfigKey CLIENT_ID = ConfigKey.optional("client-id", "courier",
      "Prefix of the Kafka client ids (producer, consumers, admin)");
  static final ConfigKey PARTITIONS = ConfigKey.optional("partitions", "4",
      "Partitions of the topics Courier creates (topics, delay and dead-letter topics)");
  static final ConfigKey REPLICATION_FACTOR = ConfigKey.optional("replication-factor", null,
      "Replication factor of the topics Courier creates; unset: the broker's default.replication.factor");
  static final ConfigKey AUTO_CREATE_TOPICS = ConfigKey.optional("auto-create-topics", "true",
      "Create a missing topic on first publish, with the configured partitions");
  static final ConfigKey REQUEST_TIMEOUT = ConfigKey.optional("request-timeout", "10s",
      "Timeout of one request to the broker (admin calls, produce and fetch requests)");
  static final ConfigKey DELIVERY_TIMEOUT = ConfigKey.optional("delivery-timeout", "30s",
      "How long the producer retries a message before its publish fails (delivery.timeout.ms); at most "
          + "courier.publish-timeout minus a tenth of it (at most 1 s), so the producer gives up first");
  static final ConfigKey MAX_BLOCK = ConfigKey.optional("max-block", "10s",
      "Longest a publish call blocks waiting for topic metadata or buffer space (max.block.ms)");
  static final ConfigKey COMMIT_INTERVAL = ConfigKey.optional("commit-interval", "200ms",
      "How often a consumer commits the contiguous completed offsets of its partitions");
  static final ConfigKey REVOKE_TIMEOUT = ConfigKey.optional("revoke-timeout", "5s",
      "On a rebalance, how long a consumer waits for running deliveries of revoked partitions before leaving them to the new owner");
  static final ConfigKey JOIN_TIMEOUT = ConfigKey.optional("join-timeout", "15s",
      "How long subscribing waits for the consumer group to assign partitions");
  static final ConfigKey CLOSE_TIMEOUT = ConfigKey.optional("close-timeout", "5s",
      "How long closing waits for final commits and the clients to shut down");
  static final ConfigKey MAX_DELAYED_HELD = ConfigKey.optional("max-delayed-held", "10000",
      "Most not-yet-due records a consumer (redeliveries) or a delayed-publish forwarder holds in memory before pausing its delay topic");
  static final ConfigKey MAX_MESSAGE_BYTES = ConfigKey.optional("max-message-bytes", null,
      "The broker's record size limit; unset: read message.max.bytes from the broker");
  static final ConfigKey SECURITY_PROTOCOL = ConfigKey.optional("security-protocol", "PLAINTEXT",
      "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL");
  static final ConfigKey SASL_MECHANISM = ConfigKey.optional("sasl-mechanism", null,
      "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (with sasl-username and sasl-password)");
  static final ConfigKey SASL_USERNAME = ConfigKey.optional("sasl-username", null, "SASL user name");
  static final ConfigKey SASL_PASSWORD = ConfigKey.secret("sasl-password", "SASL password");
  static final ConfigKey SSL_TRUSTSTORE_LOCATION = ConfigKey.optional("ssl-truststore-location", null,
      "Trust store file for SSL");
  static final ConfigKey SSL_TRUSTSTORE_PASSWORD = ConfigKey.secret("ssl-truststore-password", "Trust store password");
  static final ConfigKey SSL_KEYSTORE_LOCATION = ConfigKey.optional("ssl-keystore-location", null,
      "Key store file for SSL client authentication");
  static final ConfigKey SSL_KEYSTORE_PASSWORD = ConfigKey.secret("ssl-keystore-password", "Key store password");
  static final ConfigKey SSL_KEY_PASSWORD = ConfigKey.secret("ssl-key-password", "Password of the key in the key store");

  @Override
  public String name() {
    return KafkaTransport.NAME;
  }

  @Override
  public List<ConfigKey> configKeys() {
    return List.of(BOOTSTRAP_SERVERS, CLIENT_ID, PARTITIONS, REPLICATION_FACTOR, AUTO_CREATE_TOPICS,
        REQUEST_TIMEOUT, DELIVERY_TIMEOUT, MAX_BLOCK, COMMIT_INTERVAL, REVOKE_TIMEOUT, JOIN_TIMEOUT,
        CLOSE_TIMEOUT, MAX_DELAYED_HELD, MAX_MESSAGE_BYTES, SECURITY_PROTOCOL, SASL_MECHANISM, SASL_USERNAME,
        SASL_PASSWORD, SSL_TRUSTSTORE_LOCATION, SSL_TRUSTSTORE_PASSWORD, SSL_KEYSTORE_LOCATION,
        SSL_KEYSTORE_PASSWORD, SSL_KEY_PASSWORD);
  }

  @Override
  public Transport create(AdapterConfig config) {
    KafkaSettings.Builder b = settings(config);
    KafkaSettings s;
    try {
      s = b.settings();
    } catch (IllegalArgumentException e) {
      throw new ConfigurationException("invalid Kafka configuration: " + e.getMessage(), e);
    }
    return new KafkaTransport(s);
  }

  /** The builder for {@code config}, validated: bad values fail with a ConfigurationException naming the key. */
  static KafkaSettings.Builder settings(AdapterConfig config) {
    String servers = config.get(BOOTSTRAP_SERVERS.name());
    try {
      BootstrapServers.check("configuration key 'courier.kafka." + BOOTSTRAP_SERVERS.name() + "'", servers);
    } catch (IllegalArgumentException e) {
      throw new ConfigurationException(e.getMessage(), e);
    }
    KafkaSettings.Builder b;
    try {
      b = KafkaTransport.builder(servers);
      b.clientId(config.get(CLIENT_ID.name()))
          .partitions(config.getInt(PARTITIONS.name()))
          .autoCreateTopics(config.getBoolean(AUTO_CREATE_TOPICS.name()))
          .requestTimeout(config.getDuration(REQUEST_TIMEOUT.name()))
          .deliveryTimeout(config.getDuration(DELIVERY_TIMEOUT.name()))
          .publishTimeout(config.publishTimeout())
          .maxBlock(config.getDuration(MAX_BLOCK.name()))
          .commitInterval(config.getDuration(COMMIT_INTERVAL.name()))
          .revokeTimeout(config.getDuration(REVOKE_TIMEOUT.name()))
          .joinTimeout(config.getDuration(JOIN_TIMEOUT.name()))
          .closeTimeout(config.getDuration(CLOSE_TIMEOUT.name()))
          .maxDelayedHeld(config.getInt(MAX_DELAYED_HELD.name()))
          .securityProtocol(config.get(SECURITY_PROTOCOL.name()));
      if (config.find(REPLICATION_FACTOR.name()).isPresent()) {
        b.replicationFactor(config.getInt(REPLICATION_FACTOR.name()));
      }
      if (config.find(MAX_MESSAGE_BYTES.name()).isPresent()) {
        b.maxMessageBytes(config.getInt(MAX_MESSAGE_BYTES.name()));
      }
      if (config.find(SASL_MECHANISM.name()).isPresent()) {
        b.sasl(config.get(SASL_MECHANISM.name()),
            config.find(SASL_USERNAME.name()).orElseThrow(() -> missing(SASL_USERNAME, SASL_MECHANISM)),
            config.find(SASL_PASSWORD.name()).orElseThrow(() -> missing(SASL_PASSWORD, SASL_MECHANISM)));
      }
      if (config.find(SSL_TRUSTSTORE_LOCATION.name()).isPresent()) {
        b.truststore(config.get(SSL_TRUSTSTORE_LOCATION.name()), config.find(SSL_TRUSTSTORE_PASSWORD.name()).orElse(null));
      }
      if (config.find(SSL_KEYSTORE_LOCATION.name()).isPresent()) {
        b.keystore(config.get(SSL_KEYSTORE_LOCATION.name()), config.find(SSL_KEYSTORE_PASSWORD.name()).orElse(null),
            config.find(SSL_KEY_PASSWORD.name()).orElse(null));
      }
    } catch (IllegalArgumentException e) {
      throw new ConfigurationException("invalid Kafka configuration: " + e.getMessage(), e);
    }
    config.clientProperties().forEach(b::clientProperty);
    return b;
  }

  private static ConfigurationException missing(ConfigKey key, ConfigKey because) {
    return new ConfigurationException("configuration key 'courier.kafka." + key.name() + "' is required when 'courier.kafka."
        + because.name() + "' is set");
  }
}
