package dev.courier.kafka;

import dev.courier.config.ConfigKey;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

/**
 * The Kafka adapter's configuration keys under {@code courier.kafka.}: the one place their types,
 * defaults and descriptions are written. {@link KafkaSettings.Builder} starts from these defaults
 * and checks with them; README's table is generated from them.
 */
final class KafkaKeys {
  static final ConfigKey<String> BOOTSTRAP_SERVERS = ConfigKey.required("bootstrap-servers",
      "brokers, `host:port[,host:port...]` (IPv6 in brackets: `[::1]:9092`; port 1–65535); a malformed list fails at "
          + "start-up with a `ConfigurationException`");
  static final ConfigKey<String> CLIENT_ID = ConfigKey.optional("client-id", "courier",
      "prefix of the Kafka client ids (producer, consumers, admin)");
  static final ConfigKey<Integer> PARTITIONS = ConfigKey.integer("partitions", "4", 1, 10_000,
      "partitions of the topics Courier creates (topics, delay and dead-letter topics)");
  static final ConfigKey<Integer> REPLICATION_FACTOR = ConfigKey.integer("replication-factor", null, 1, Short.MAX_VALUE,
      "replication factor of the topics Courier creates").shownDefault("broker default");
  static final ConfigKey<Boolean> AUTO_CREATE_TOPICS = ConfigKey.bool("auto-create-topics", "true",
      "create a missing topic on first publish");
  static final ConfigKey<Duration> REQUEST_TIMEOUT = ConfigKey.duration("request-timeout", "10s",
      "timeout of one request (admin, produce, fetch); the producer's is lowered to the delivery timeout minus "
          + "`linger.ms` if longer");
  static final ConfigKey<Duration> DELIVERY_TIMEOUT = ConfigKey.duration("delivery-timeout", "30s",
      "how long the producer retries before a publish fails (`delivery.timeout.ms`); at most `courier.publish-timeout` "
          + "minus a tenth of it (at most 1 s), so the producer gives up before Courier fails the publish (a publish "
          + "timeout too short for `linger.ms` fails at start-up)");
  static final ConfigKey<Duration> MAX_BLOCK = ConfigKey.duration("max-block", "10s",
      "longest a publish call blocks for metadata or buffer space (`max.block.ms`)");
  static final ConfigKey<Duration> COMMIT_INTERVAL = ConfigKey.duration("commit-interval", "200ms",
      "how often a consumer commits the contiguous completed offsets");
  static final ConfigKey<Duration> REVOKE_TIMEOUT = ConfigKey.duration("revoke-timeout", "5s",
      "on a rebalance, how long to wait for running deliveries of revoked partitions");
  static final ConfigKey<Duration> JOIN_TIMEOUT = ConfigKey.duration("join-timeout", "15s",
      "how long subscribing waits for the group to assign partitions");
  static final ConfigKey<Duration> CLOSE_TIMEOUT = ConfigKey.duration("close-timeout", "5s",
      "how long closing waits for final commits");
  static final ConfigKey<Integer> MAX_DELAYED_HELD = ConfigKey.integer("max-delayed-held", "10000", 1, Integer.MAX_VALUE,
      "most not-yet-due records (redeliveries, delayed publishes) a consumer holds before copying the farthest-due "
          + "back to the tail of its delay topic");
  static final ConfigKey<Integer> MAX_MESSAGE_BYTES = ConfigKey.integer("max-message-bytes", null, 1024,
      Integer.MAX_VALUE, "the record size limit publishes are checked against").shownDefault("broker's `message.max.bytes`");
  static final ConfigKey<String> SECURITY_PROTOCOL = ConfigKey.optional("security-protocol", "PLAINTEXT",
      "`PLAINTEXT`, `SSL`, `SASL_PLAINTEXT` or `SASL_SSL`");
  static final ConfigKey<String> SASL_MECHANISM = ConfigKey.optional("sasl-mechanism", null,
      "`PLAIN`, `SCRAM-SHA-256` or `SCRAM-SHA-512`");
  static final ConfigKey<String> SASL_USERNAME = ConfigKey.optional("sasl-username", null, "SASL user name");
  static final ConfigKey<String> SASL_PASSWORD = ConfigKey.secret("sasl-password", "SASL password; masked");
  static final ConfigKey<String> SSL_TRUSTSTORE_LOCATION = ConfigKey.optional("ssl-truststore-location", null,
      "trust store file for SSL");
  static final ConfigKey<String> SSL_TRUSTSTORE_PASSWORD = ConfigKey.secret("ssl-truststore-password", "masked");
  static final ConfigKey<String> SSL_KEYSTORE_LOCATION = ConfigKey.optional("ssl-keystore-location", null,
      "key store for SSL client authentication");
  static final ConfigKey<String> SSL_KEYSTORE_PASSWORD = ConfigKey.secret("ssl-keystore-password", "masked");
  static final ConfigKey<String> SSL_KEY_PASSWORD = ConfigKey.secret("ssl-key-password",
      "password of the key in the key store; masked");

  /** The keys the builder takes as they are, through {@link KafkaSettings.Builder#set}. */
  static final List<ConfigKey<?>> TUNING = List.of(PARTITIONS, REPLICATION_FACTOR, AUTO_CREATE_TOPICS, REQUEST_TIMEOUT,
      DELIVERY_TIMEOUT, MAX_BLOCK, COMMIT_INTERVAL, REVOKE_TIMEOUT, JOIN_TIMEOUT, CLOSE_TIMEOUT, MAX_DELAYED_HELD,
      MAX_MESSAGE_BYTES);

  static final List<ConfigKey<?>> ALL = Stream.of(List.of(BOOTSTRAP_SERVERS, CLIENT_ID), TUNING, List.of(SECURITY_PROTOCOL,
      SASL_MECHANISM, SASL_USERNAME, SASL_PASSWORD, SSL_TRUSTSTORE_LOCATION, SSL_TRUSTSTORE_PASSWORD, SSL_KEYSTORE_LOCATION,
      SSL_KEYSTORE_PASSWORD, SSL_KEY_PASSWORD)).<ConfigKey<?>>flatMap(List::stream).toList();

  private KafkaKeys() {}
}
