package dev.courier.pubsub;

import dev.courier.config.ConfigKey;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The Pub/Sub adapter's configuration keys under {@code courier.gcp-pubsub.}: the one place their
 * types, defaults and descriptions are written. {@link PubSubSettings.Builder} starts from these
 * defaults and checks with them; README's table is generated from them.
 */
final class PubSubKeys {
  static final ConfigKey<String> PROJECT_ID = ConfigKey.required("project-id", "Google Cloud project id");
  static final ConfigKey<String> EMULATOR_HOST = ConfigKey.optional("emulator-host", null,
      "`host:port` of a Pub/Sub emulator: plaintext, no credentials, messages not persistent (PERSISTENT not declared)");
  static final ConfigKey<String> ENDPOINT = ConfigKey.optional("endpoint", "pubsub.googleapis.com:443",
      "service endpoint (TLS), e.g. a regional one for ordered delivery; ignored with `emulator-host`");
  static final ConfigKey<Path> CREDENTIALS_FILE = ConfigKey.path("credentials-file",
      "service-account JSON key file; masked, never logged").shownDefault("Application Default Credentials").masked();
  static final ConfigKey<Duration> ACK_DEADLINE = ConfigKey.duration("ack-deadline", "30s",
      "lease of a delivery (ack deadline, whole seconds from 10s to 600s); Courier renews it every third of it "
          + "while the delivery waits or its handler runs");
  static final ConfigKey<Duration> MAX_LEASE_EXTENSION = ConfigKey.duration("max-lease-extension", "60m",
      "longest a delivery waiting for a handler thread is kept leased before it is returned to Pub/Sub");
  static final ConfigKey<Integer> PARALLEL_PULL_COUNT = ConfigKey.integer("parallel-pull-count", "1", 1, 16,
      "streaming pulls per subscriber; maxInFlight bounds them together");
  static final ConfigKey<Integer> MAX_OUTSTANDING_BYTES = ConfigKey.integer("max-outstanding-bytes", "104857600",
      1024, Integer.MAX_VALUE, "flow control: most payload bytes a subscriber holds unsettled (messages: maxInFlight)");
  static final ConfigKey<Integer> BATCH_MAX_MESSAGES = ConfigKey.integer("publish.batch-max-messages", "100", 1, 1000,
      "publisher batching: most messages per publish request");
  static final ConfigKey<Integer> BATCH_MAX_BYTES = ConfigKey.integer("publish.batch-max-bytes", "1000000", 1,
      10_000_000, "publisher batching: most bytes per publish request");
  static final ConfigKey<Duration> BATCH_DELAY = ConfigKey.duration("publish.batch-delay", "1ms",
      "publisher batching: longest a message waits for its batch to fill");
  static final ConfigKey<Duration> PUBLISH_TIMEOUT = ConfigKey.duration("publish-timeout", "10s",
      "a publish not confirmed within this fails (client retries included; it may still be stored); at most `courier.publish-timeout`");
  static final ConfigKey<Duration> ADMIN_TIMEOUT = ConfigKey.duration("admin-timeout", "30s",
      "timeout of topic and subscription administration calls");

  static final List<ConfigKey<?>> ALL = List.of(PROJECT_ID, EMULATOR_HOST, ENDPOINT, CREDENTIALS_FILE, ACK_DEADLINE,
      MAX_LEASE_EXTENSION, PARALLEL_PULL_COUNT, MAX_OUTSTANDING_BYTES, BATCH_MAX_MESSAGES, BATCH_MAX_BYTES, BATCH_DELAY,
      PUBLISH_TIMEOUT, ADMIN_TIMEOUT);

  private PubSubKeys() {}
}
