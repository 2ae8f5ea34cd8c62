package dev.courier.kafka;

import static dev.courier.kafka.KafkaKeys.*;

import dev.courier.config.AdapterConfig;
import dev.courier.config.ConfigKey;
import dev.courier.config.CourierConfig;
import dev.courier.kafka.internal.KafkaReceiver;
import dev.courier.spi.support.HostPorts;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The Kafka adapter's settings: where the brokers are, how Courier creates topics, security, and
 * the consumer's timing. Immutable; built by {@link KafkaTransport#builder(String)}, whose setters
 * reject bad values naming the parameter. Secrets never appear in {@link #toString()}.
 *
 * <p>Native client properties pass through: {@code clientProperty("linger.ms", "10")} applies to
 * every client, {@code clientProperty("producer.linger.ms", "10")} (also {@code consumer.},
 * {@code admin.}) to one kind only. They override Courier's defaults, except the few the adapter's
 * guarantees rest on: {@code acks=all}, idempotence, manual commits, byte-array serializers; and
 * the producer's {@code delivery.timeout.ms} and {@code request.timeout.ms} stay under the publish
 * timeout ({@link ProducerTimeouts}).
 */
public final class KafkaSettings {
  private final String bootstrapServers;
  /** The tuning keys' checked values ({@link KafkaKeys#TUNING}); a key without a value is unset. */
  private final Map<ConfigKey<?>, Object> values;
  private final String clientId;
  private final Duration publishTimeout;
  /** Native security properties (protocol, SASL, SSL stores), from the builder's security setters. */
  private final Map<String, String> security;
  private final Map<String, String> clientProperties;

  private KafkaSettings(Builder b) {
    this.bootstrapServers = b.bootstrapServers;
    this.values = Map.copyOf(b.values);
    this.clientId = b.clientId;
    this.publishTimeout = b.publishTimeout;
    this.security = Map.copyOf(b.security);
    this.clientProperties = Map.copyOf(b.clientProperties);
    producerProperties(); // fits the producer's timeouts under the publish timeout, or fails before any I/O
  }

  static Builder builder(String bootstrapServers) {
    return new Builder(bootstrapServers);
  }

  @SuppressWarnings("unchecked") // values holds a T for each ConfigKey<T>
  private <T> T get(ConfigKey<T> key) {
    return (T) values.get(key);
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** Partitions of the topics Courier creates. */
  public int partitions() {
    return get(PARTITIONS);
  }

  /** Replication factor of the topics Courier creates; empty: the broker's default. */
  public Optional<Short> replicationFactor() {
    return Optional.ofNullable(get(REPLICATION_FACTOR)).map(Integer::shortValue);
  }

  public boolean autoCreateTopics() {
    return get(AUTO_CREATE_TOPICS);
  }

  public Duration requestTimeout() {
    return get(REQUEST_TIMEOUT);
  }

  public Duration closeTimeout() {
    return get(CLOSE_TIMEOUT);
  }

  /** The broker's record size limit when set explicitly; empty: read it from the broker. */
  public Optional<Integer> maxMessageBytes() {
    return Optional.ofNullable(get(MAX_MESSAGE_BYTES));
  }

  KafkaReceiver.Settings receiverSettings() {
    return new KafkaReceiver.Settings(get(COMMIT_INTERVAL), get(REVOKE_TIMEOUT), get(JOIN_TIMEOUT),
        get(MAX_DELAYED_HELD), closeTimeout());
  }

  Properties adminProperties() {
    Properties p = common();
    p.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId + "-admin");
    p.put(CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG, ms(requestTimeout()));
    p.put(CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG, ms(requestTimeout()));
    apply(p, "admin");
    return p;
  }

  Properties producerProperties() {
    Properties p = common();
    p.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId + "-producer");
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, ms(requestTimeout()));
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, ms(get(DELIVERY_TIMEOUT)));
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, ms(get(MAX_BLOCK)));
    apply(p, "producer");
    ProducerTimeouts.fit(p, publishTimeout);
    // What "published" means in Courier: durably stored by every in-sync replica, never duplicated by retries.
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    return p;
  }

  Properties consumerProperties(String group, int maxPollRecords) {
    Properties p = consumer("-consumer-" + group, maxPollRecords);
    // Earliest: a group's delay topic is read whole. Range keeps partition n of the topic and of its
    // delay topic on one member: a key's redeliveries come back to the consumer that owns the key.
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, RangeAssignor.class.getName());
    // Defaults, which consumer client properties override.
    p.putIfAbsent(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "10000");
    p.putIfAbsent(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "1000");
    p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    return p;
  }

  /** A consumer outside any group, for reading without committing (dead-letter peek). */
  Properties browserProperties(int maxPollRecords) {
    Properties p = consumer("-browser", maxPollRecords);
    p.remove(ConsumerConfig.GROUP_ID_CONFIG);
    return p;
  }

  /** A consumer's properties after the passthrough ones, with those the adapter's guarantees rest on. */
  private Properties consumer(String clientIdSuffix, int maxPollRecords) {
    Properties p = common();
    p.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId + clientIdSuffix);
    p.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, ms(requestTimeout()));
    p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, ms(requestTimeout()));
    apply(p, "consumer");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(maxPollRecords));
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    return p;
  }

  private Properties common() {
    Properties p = new Properties();
    p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.putAll(security);
    return p;
  }

  /** Passthrough properties: the unprefixed ones, then those for this kind of client. */
  private void apply(Properties p, String kind) {
    String prefix = kind + ".";
    clientProperties.forEach((k, v) -> {
      if (!k.startsWith("producer.") && !k.startsWith("consumer.") && !k.startsWith("admin.")) {
        p.put(k, v);
      }
    });
    clientProperties.forEach((k, v) -> {
      if (k.startsWith(prefix)) {
        p.put(k.substring(prefix.length()), v);
      }
    });
  }

  private static String jaasEscape(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"");
  }

  private static String ms(Duration d) {
    return Long.toString(Math.min(Integer.MAX_VALUE, d.toMillis()));
  }

  /**
   * Names and safe values only: passwords, the JAAS line and secret-looking client properties are
   * masked, and so is the user-info of any URI value (https://id:pw@host).
   */
  @Override
  public String toString() {
    return "KafkaSettings{bootstrapServers=" + bootstrapServers + ", clientId=" + clientId
        + ", partitions=" + partitions() + ", replicationFactor=" + replicationFactor().map(String::valueOf).orElse("broker default")
        + ", security=" + masked(security) + ", clientProperties=" + masked(clientProperties) + '}';
  }

  private static Map<String, String> masked(Map<String, String> properties) {
    Map<String, String> shown = new TreeMap<>();
    properties.forEach((k, v) -> shown.put(k, AdapterConfig.masked(k, v)));
    return shown;
  }

  /** Builds {@link KafkaSettings} and the transport; each setter rejects bad values naming the parameter. */
  public static final class Builder {
    private final String bootstrapServers;
    private final Map<ConfigKey<?>, Object> values = new HashMap<>();
    private String clientId = CLIENT_ID.parsedDefault();
    private Duration publishTimeout = CourierConfig.PUBLISH_TIMEOUT_KEY.parsedDefault();
    private final Map<String, String> security =
        new TreeMap<>(Map.of(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, SECURITY_PROTOCOL.parsedDefault()));
    private final Map<String, String> clientProperties = new TreeMap<>();

    private Builder(String bootstrapServers) {
      Objects.requireNonNull(bootstrapServers, "bootstrapServers");
      this.bootstrapServers = HostPorts.checkList("bootstrapServers", bootstrapServers);
      TUNING.forEach(key -> key.defaultValue().ifPresent(d -> values.put(key, key.parsedDefault())));
    }

    /** Sets one of {@link KafkaKeys#TUNING}; a bad value fails naming {@code parameter}. */
    <T> Builder set(ConfigKey<T> key, String parameter, T value) {
      if (!TUNING.contains(key)) {
        throw new IllegalArgumentException(key.name() + " is not a tuning key");
      }
      values.put(key, key.check(parameter, value));
      return this;
    }

    public Builder clientId(String clientId) {
      Objects.requireNonNull(clientId, "clientId");
      if (!clientId.matches("[A-Za-z0-9._\\-]+")) {
        throw new IllegalArgumentException("clientId may contain only letters, digits, '.', '_' and '-': " + clientId);
      }
      this.clientId = clientId;
      return this;
    }

    public Builder partitions(int partitions) {
      return set(PARTITIONS, "partitions", partitions);
    }

    public Builder replicationFactor(int replicationFactor) {
      return set(REPLICATION_FACTOR, "replicationFactor", replicationFactor);
    }

    public Builder autoCreateTopics(boolean autoCreateTopics) {
      return set(AUTO_CREATE_TOPICS, "autoCreateTopics", autoCreateTopics);
    }

    public Builder requestTimeout(Duration timeout) {
      return set(REQUEST_TIMEOUT, "requestTimeout", timeout);
    }

    /** How long the producer retries a record; capped to give up before the {@link #publishTimeout}. */
    public Builder deliveryTimeout(Duration timeout) {
      return set(DELIVERY_TIMEOUT, "deliveryTimeout", timeout);
    }

    /**
     * The publish timeout of the Courier this transport serves (default 30 s, Courier's default):
     * the producer gives up on a record before it, so a publish Courier fails is not stored later.
     * Set it to the Courier's when building both in code; from configuration it is
     * {@code courier.publish-timeout}.
     */
    public Builder publishTimeout(Duration timeout) {
      this.publishTimeout = CourierConfig.PUBLISH_TIMEOUT_KEY.check("publishTimeout", timeout);
      return this;
    }

    public Builder maxBlock(Duration timeout) {
      return set(MAX_BLOCK, "maxBlock", timeout);
    }

    public Builder commitInterval(Duration interval) {
      return set(COMMIT_INTERVAL, "commitInterval", interval);
    }

    public Builder revokeTimeout(Duration timeout) {
      return set(REVOKE_TIMEOUT, "revokeTimeout", timeout);
    }

    public Builder joinTimeout(Duration timeout) {
      return set(JOIN_TIMEOUT, "joinTimeout", timeout);
    }

    public Builder closeTimeout(Duration timeout) {
      return set(CLOSE_TIMEOUT, "closeTimeout", timeout);
    }

    public Builder maxDelayedHeld(int records) {
      return set(MAX_DELAYED_HELD, "maxDelayedHeld", records);
    }

    public Builder maxMessageBytes(int bytes) {
      return set(MAX_MESSAGE_BYTES, "maxMessageBytes", bytes);
    }

    public Builder securityProtocol(String protocol) {
      Objects.requireNonNull(protocol, "securityProtocol");
      String p = protocol.trim().toUpperCase(Locale.ROOT);
      if (!p.matches("PLAINTEXT|SSL|SASL_PLAINTEXT|SASL_SSL")) {
        throw new IllegalArgumentException("securityProtocol must be PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL, was " + protocol);
      }
      security.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, p);
      return this;
    }

    /** SASL with a user name and password: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512. */
    public Builder sasl(String mechanism, String username, String password) {
      Objects.requireNonNull(mechanism, "mechanism");
      Objects.requireNonNull(username, "username");
      Objects.requireNonNull(password, "password");
      String m = mechanism.trim().toUpperCase(Locale.ROOT);
      if (!m.matches("PLAIN|SCRAM-SHA-256|SCRAM-SHA-512")) {
        throw new IllegalArgumentException("mechanism must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512, was " + mechanism
            + " (set other mechanisms through client properties)");
      }
      String module = m.startsWith("SCRAM") ? "org.apache.kafka.common.security.scram.ScramLoginModule"
          : "org.apache.kafka.common.security.plain.PlainLoginModule";
      security.put(SaslConfigs.SASL_MECHANISM, m);
      security.put(SaslConfigs.SASL_JAAS_CONFIG, module + " required username=\"" + jaasEscape(username)
          + "\" password=\"" + jaasEscape(password) + "\";");
      return this;
    }

    public Builder truststore(String location, String password) {
      security.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, Objects.requireNonNull(location, "location"));
      putOrRemove(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, password);
      return this;
    }

    public Builder keystore(String location, String password, String keyPassword) {
      security.put(SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG, Objects.requireNonNull(location, "location"));
      putOrRemove(SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG, password);
      putOrRemove(SslConfigs.SSL_KEY_PASSWORD_CONFIG, keyPassword);
      return this;
    }

    /** A store's password: none (null) removes an earlier store's. */
    private void putOrRemove(String key, String value) {
      if (value != null) {
        security.put(key, value);
      } else {
        security.remove(key);
      }
    }

    /** A native client property; prefix it with {@code producer.}, {@code consumer.} or {@code admin.} for one client only. */
    public Builder clientProperty(String name, String value) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(value, () -> "value of client property " + name);
      if (name.isBlank()) {
        throw new IllegalArgumentException("client property name must not be blank");
      }
      clientProperties.put(name, value);
      return this;
    }

    public KafkaSettings settings() {
      return new KafkaSettings(this);
    }

    /** Creates the transport; reads the broker's record size limit unless {@link #maxMessageBytes} was set. */
    public KafkaTransport build() {
      return new KafkaTransport(settings());
    }
  }
}
