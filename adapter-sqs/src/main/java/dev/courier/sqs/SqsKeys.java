package dev.courier.sqs;

import dev.courier.config.ConfigKey;
import java.time.Duration;
import java.util.List;

/**
 * The SQS adapter's configuration keys under {@code courier.sqs.}: the one place their types,
 * defaults and descriptions are written. {@link SqsSettings.Builder} starts from these defaults and
 * checks with them; README's table is generated from them.
 */
final class SqsKeys {
  static final ConfigKey<String> REGION = ConfigKey.optional("region", "us-east-1", "AWS region of the queues");
  static final ConfigKey<String> ENDPOINT = ConfigKey.optional("endpoint", null,
      "endpoint override, e.g. `http://127.0.0.1:9324` for ElasticMQ").shownDefault("the region's SQS endpoint");
  static final ConfigKey<String> ACCESS_KEY_ID = ConfigKey.optional("access-key-id", null,
      "static credentials: access key id (with `secret-access-key`)").shownDefault("default provider chain");
  static final ConfigKey<String> SECRET_ACCESS_KEY = ConfigKey.secret("secret-access-key",
      "static credentials: secret access key; masked");
  static final ConfigKey<String> QUEUE_PREFIX = ConfigKey.optional("queue-prefix", null,
      "prefix of every SNS topic and SQS queue name Courier makes (letters, digits, `_`, `-`, at most 40); topic names "
          + "get 80 characters less its length").shownDefault("none");
  static final ConfigKey<SqsTopology> TOPOLOGY = ConfigKey.enumeration("topology", SqsTopology.class, "sns",
      "`sns`: a topic is an SNS topic, each group an SQS queue subscribed to it with raw delivery (fan-out; messages "
          + "up to 256 KiB, SNS's limit); `queue`: a topic is one SQS queue, its one group's consumers compete (no "
          + "fan-out; a second group on a topic fails with `IncompatibleGroupException`; dead-letter topics, read by "
          + "several groups, are the exception)");
  static final ConfigKey<Duration> VISIBILITY_TIMEOUT = ConfigKey.duration("visibility-timeout", "30s",
      "the lease of a received message (whole seconds, 2 s to 12 h); Courier extends it every third of it while the "
          + "handler runs, and a crashed consumer's messages return after it");
  static final ConfigKey<Integer> POLLERS = ConfigKey.integer("pollers", "2", 1, 32,
      "threads long-polling each subscription's queue");
  static final ConfigKey<Duration> WAIT_TIME = ConfigKey.duration("wait-time", "20s",
      "long-polling wait of one receive (1 to 20 s); closing the transport waits up to this for polls in flight");
  static final ConfigKey<Integer> MAX_MESSAGE_BYTES = ConfigKey.integer("max-message-bytes", "1048576", 16 * 1024,
      1024 * 1024, "the queue's message size limit (body and attributes): 1 MiB on current SQS, 262144 on older setups");

  static final ConfigKey<String> FIFO_TOPICS = ConfigKey.optional("fifo-topics", null,
      "topics that are FIFO, comma-separated, or `*` for every topic but dead-letter topics: their SNS topic and queues "
          + "end in `.fifo`, a message's key is its `MessageGroupId` and its id its `MessageDeduplicationId`, and their "
          + "groups may be ordered (ORDERED_BY_KEY is declared when this is set); topic names get 5 characters less")
      .shownDefault("none");

  static final List<ConfigKey<?>> ALL = List.of(REGION, ENDPOINT, ACCESS_KEY_ID, SECRET_ACCESS_KEY, QUEUE_PREFIX,
      TOPOLOGY, VISIBILITY_TIMEOUT, POLLERS, WAIT_TIME, MAX_MESSAGE_BYTES, FIFO_TOPICS);

  private SqsKeys() {}
}
