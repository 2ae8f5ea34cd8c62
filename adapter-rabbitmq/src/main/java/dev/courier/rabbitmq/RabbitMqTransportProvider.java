package dev.courier.rabbitmq;

import dev.courier.ConfigurationException;
import dev.courier.config.AdapterConfig;
import dev.courier.config.ConfigKey;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportProvider;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Registers the RabbitMQ adapter under the name {@value RabbitMqTransport#NAME}. */
public final class RabbitMqTransportProvider implements TransportProvider {
  static final ConfigKey URI = ConfigKey.optional("uri", null,
      "AMQP URI amqp[s]://user:password@host:port/vhost; its parts override host, port, virtual-host, username and password");
  static final ConfigKey HOST = ConfigKey.optional("host", "localhost", "Broker host");
  static final ConfigKey PORT = ConfigKey.optional("port", null, "Broker port; default 5672, or 5671 with TLS");
  static final ConfigKey VIRTUAL_HOST = ConfigKey.optional("virtual-host", "/", "Virtual host");
  static final ConfigKey USERNAME = ConfigKey.optional("username", "guest", "User name");
  static final ConfigKey PASSWORD = ConfigKey.secret("password", "Password (default guest); masked everywhere");
  static final ConfigKey TLS = ConfigKey.optional("tls.enabled", "false", "Connect with TLS (also set by an amqps:// uri)");
  static final ConfigKey TRUST_STORE = ConfigKey.optional("tls.trust-store", null,
      "Trust store file with the CA of the broker's certificate; unset: the JVM's default trust store");
  static final ConfigKey TRUST_STORE_PASSWORD = ConfigKey.secret("tls.trust-store-password", "Password of the trust store");
  static final ConfigKey TRUST_STORE_TYPE = ConfigKey.optional("tls.trust-store-type", "PKCS12", "PKCS12 or JKS");
  static final ConfigKey VERIFY_HOSTNAME = ConfigKey.optional("tls.verify-hostname", "true",
      "Check that the broker's certificate names the host connected to");
  static final ConfigKey CONNECTION_NAME = ConfigKey.optional("connection-name", "courier",
      "Client-provided connection name shown by the broker (suffixed -publish and -consume)");
  static final ConfigKey CHANNEL_POOL_SIZE = ConfigKey.optional("channel-pool-size", "4",
      "Confirm-mode channels used for publishing (a publishing thread always uses the same one)");
  static final ConfigKey QUEUE_TYPE = ConfigKey.optional("queue-type", "quorum",
      "Queue type of groups: quorum or classic (fixed when a group's queue is first declared)");
  static final ConfigKey SINGLE_ACTIVE_CONSUMER = ConfigKey.optional("single-active-consumer", "false",
      "Declare group queues with single active consumer, so key order holds across subscribers of a group");
  static final ConfigKey PUBLISH_TIMEOUT = ConfigKey.optional("publish-timeout", "10s",
      "A publish not confirmed within this fails (also while the broker is unreachable)");
  static final ConfigKey CONNECTION_TIMEOUT = ConfigKey.optional("connection-timeout", "10s",
      "TCP connect and AMQP handshake timeout");
  static final ConfigKey RECOVERY_INTERVAL = ConfigKey.optional("recovery-interval", "2s",
      "Pause between reconnection attempts after the connection was lost");
  static final ConfigKey MAX_PAYLOAD_BYTES = ConfigKey.optional("max-payload-bytes", "1048576",
      "Largest payload accepted, in bytes (at most 128 MiB)");

  @Override
  public String name() {
    return RabbitMqTransport.NAME;
  }

  @Override
  public List<ConfigKey> configKeys() {
    return List.of(URI, HOST, PORT, VIRTUAL_HOST, USERNAME, PASSWORD, TLS, TRUST_STORE, TRUST_STORE_PASSWORD,
        TRUST_STORE_TYPE, VERIFY_HOSTNAME, CONNECTION_NAME, CHANNEL_POOL_SIZE, QUEUE_TYPE, SINGLE_ACTIVE_CONSUMER,
        PUBLISH_TIMEOUT, CONNECTION_TIMEOUT, RECOVERY_INTERVAL, MAX_PAYLOAD_BYTES);
  }

  @Override
  public Transport create(AdapterConfig config) {
    return RabbitMqTransport.connect(settings(config));
  }

  /** The settings {@code config} describes; bad values fail with a ConfigurationException naming the key. */
  static RabbitMqSettings settings(AdapterConfig config) {
    RabbitMqSettings.Builder b = RabbitMqSettings.builder();
    String key = null;
    try {
      key = HOST.name();
      b.host(config.get(HOST.name()));
      key = VIRTUAL_HOST.name();
      b.virtualHost(config.get(VIRTUAL_HOST.name()));
      key = USERNAME.name();
      b.username(config.get(USERNAME.name()));
      key = PASSWORD.name();
      config.find(PASSWORD.name()).ifPresent(b::password);
      key = TLS.name();
      b.tls(config.getBoolean(TLS.name()));
      key = PORT.name();
      if (config.find(PORT.name()).isPresent()) {
        b.port(config.getInt(PORT.name()));
      }
      key = URI.name();
      config.find(URI.name()).ifPresent(b::uri);
      key = TRUST_STORE.name();
      if (config.find(TRUST_STORE.name()).isPresent()) {
        b.trustStore(Path.of(config.get(TRUST_STORE.name())), config.find(TRUST_STORE_PASSWORD.name()).orElse(null));
      }
      key = TRUST_STORE_TYPE.name();
      b.trustStoreType(config.get(TRUST_STORE_TYPE.name()));
      key = VERIFY_HOSTNAME.name();
      b.verifyHostname(config.getBoolean(VERIFY_HOSTNAME.name()));
      key = CONNECTION_NAME.name();
      b.connectionName(config.get(CONNECTION_NAME.name()));
      key = CHANNEL_POOL_SIZE.name();
      b.channelPoolSize(config.getInt(CHANNEL_POOL_SIZE.name()));
      key = QUEUE_TYPE.name();
      String type = config.get(QUEUE_TYPE.name()).trim().toUpperCase(Locale.ROOT);
      try {
        b.queueType(QueueType.valueOf(type));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("must be quorum or classic, was '" + config.get(QUEUE_TYPE.name()) + "'");
      }
      key = SINGLE_ACTIVE_CONSUMER.name();
      b.singleActiveConsumer(config.getBoolean(SINGLE_ACTIVE_CONSUMER.name()));
      key = PUBLISH_TIMEOUT.name();
      b.publishTimeout(config.getDuration(PUBLISH_TIMEOUT.name()));
      key = CONNECTION_TIMEOUT.name();
      b.connectionTimeout(config.getDuration(CONNECTION_TIMEOUT.name()));
      key = RECOVERY_INTERVAL.name();
      b.recoveryInterval(config.getDuration(RECOVERY_INTERVAL.name()));
      key = MAX_PAYLOAD_BYTES.name();
      b.maxPayloadBytes(config.getInt(MAX_PAYLOAD_BYTES.name()));
      key = null;
      return b.build();
    } catch (IllegalArgumentException e) {
      // Builder messages never contain a password (the URI parser reports only the reason).
      throw new ConfigurationException("invalid RabbitMQ configuration"
          + (key != null ? " 'courier.rabbitmq." + key + "'" : "") + ": " + e.getMessage(), e);
    }
  }
}
