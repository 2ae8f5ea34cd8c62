package dev.courier.rabbitmq;

import dev.courier.config.ConfigKey;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The RabbitMQ adapter's configuration keys under {@code courier.rabbitmq.}: the one place their
 * types, defaults and descriptions are written. {@link RabbitMqSettings.Builder} starts from these
 * defaults and checks with them; README's table is generated from them.
 */
final class RabbitMqKeys {
  static final ConfigKey<String> URI = ConfigKey.optional("uri", null,
      "AMQP URI `amqp[s]://user:password@host:port/vhost`; its parts override host, port, virtual-host, username and password");
  static final ConfigKey<String> HOST = ConfigKey.optional("host", "localhost", "broker host");
  static final ConfigKey<Integer> PORT = ConfigKey.integer("port", null, 1, 65535, "broker port")
      .shownDefault("5672 (5671 with TLS)");
  static final ConfigKey<String> VIRTUAL_HOST = ConfigKey.optional("virtual-host", "/", "virtual host");
  static final ConfigKey<String> USERNAME = ConfigKey.optional("username", "guest", "user name");
  static final ConfigKey<String> PASSWORD = ConfigKey.optional("password", "guest", "password; masked everywhere").masked();
  static final ConfigKey<Boolean> TLS = ConfigKey.bool("tls.enabled", "false",
      "connect with TLS (also set by an `amqps://` URI)");
  static final ConfigKey<Path> TRUST_STORE = ConfigKey.path("tls.trust-store",
      "trust store file with the CA of the broker's certificate").shownDefault("JVM default");
  static final ConfigKey<String> TRUST_STORE_PASSWORD = ConfigKey.secret("tls.trust-store-password", "its password; masked");
  static final ConfigKey<String> TRUST_STORE_TYPE = ConfigKey.optional("tls.trust-store-type", "PKCS12", "`PKCS12` or `JKS`");
  static final ConfigKey<Boolean> VERIFY_HOSTNAME = ConfigKey.bool("tls.verify-hostname", "true",
      "check that the broker's certificate names the host");
  static final ConfigKey<String> CONNECTION_NAME = ConfigKey.optional("connection-name", "courier",
      "connection name shown by the broker (suffixed `-publish` / `-consume`)");
  static final ConfigKey<Integer> CHANNEL_POOL_SIZE = ConfigKey.integer("channel-pool-size", "4", 1, 256,
      "confirm-mode channels for publishing (a publishing thread always uses the same one)");
  static final ConfigKey<QueueType> QUEUE_TYPE = ConfigKey.enumeration("queue-type", QueueType.class, "quorum",
      "queue type of groups: `quorum` or `classic` (fixed when a group's queue is first declared)");
  static final ConfigKey<Boolean> SINGLE_ACTIVE_CONSUMER = ConfigKey.bool("single-active-consumer", "false",
      "declare group queues with single active consumer, so key order holds across subscribers of a group, also when "
          + "one replaces another: a closing subscriber stays the active one until it has drained, and what it held "
          + "unstarted returns to the head of the queue; the broker marks such a return redelivered (and quorum queues "
          + "before RabbitMQ 4.0 count it in `x-delivery-count`), so those messages' attempt numbers rise by one per "
          + "hand-over, which counts towards `maxDeliveries`");
  static final ConfigKey<Duration> PUBLISH_TIMEOUT = ConfigKey.duration("publish-timeout", "10s",
      "a publish not confirmed within this fails (also while the broker is unreachable); closing the transport waits "
          + "this long for confirms in flight");
  static final ConfigKey<Duration> CONNECTION_TIMEOUT = ConfigKey.duration("connection-timeout", "10s",
      "TCP connect and AMQP handshake timeout");
  static final ConfigKey<Duration> RECOVERY_INTERVAL = ConfigKey.duration("recovery-interval", "2s",
      "pause between reconnection attempts");
  static final ConfigKey<Integer> MAX_PAYLOAD_BYTES = ConfigKey.integer("max-payload-bytes", "1048576", 1,
      128 * 1024 * 1024, "largest payload accepted (at most 128 MiB)");

  static final List<ConfigKey<?>> ALL = List.of(URI, HOST, PORT, VIRTUAL_HOST, USERNAME, PASSWORD, TLS, TRUST_STORE,
      TRUST_STORE_PASSWORD, TRUST_STORE_TYPE, VERIFY_HOSTNAME, CONNECTION_NAME, CHANNEL_POOL_SIZE, QUEUE_TYPE,
      SINGLE_ACTIVE_CONSUMER, PUBLISH_TIMEOUT, CONNECTION_TIMEOUT, RECOVERY_INTERVAL, MAX_PAYLOAD_BYTES);

  private RabbitMqKeys() {}
}
