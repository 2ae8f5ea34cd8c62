package dev.courier.sqs;

import dev.courier.testsupport.ElasticMqServer;
import dev.courier.testsupport.FauxqsServer;
import dev.courier.testsupport.SqsServer;
import java.time.Duration;
import java.util.Map;

/** Settings and configuration reaching a test ElasticMQ server, with test-friendly timings. */
public final class SqsTestSupport {
  private SqsTestSupport() {}

  /** Settings for {@code server} (queue topology): dummy static credentials, 1 s long polls. */
  public static SqsSettings.Builder settings(ElasticMqServer server) {
    return settings(server.endpoint()).topology(SqsTopology.QUEUE);
  }

  /** Settings for {@code server} (SNS topology): dummy static credentials, 1 s long polls. */
  public static SqsSettings.Builder settings(FauxqsServer server) {
    return settings(server.endpoint()).topology(SqsTopology.SNS);
  }

  private static SqsSettings.Builder settings(String endpoint) {
    return SqsSettings.builder().endpoint(endpoint).credentials("test", "test")
        .waitTime(Duration.ofSeconds(1)).publishTimeout(Duration.ofSeconds(10));
  }

  /** The same as configuration for {@code Courier.fromConfig}. */
  public static Map<String, String> config(ElasticMqServer server, Duration visibility) {
    return config(server.endpoint(), SqsTopology.QUEUE, visibility);
  }

  /** The same as configuration for {@code Courier.fromConfig}. */
  public static Map<String, String> config(FauxqsServer server, Duration visibility) {
    return config(server.endpoint(), SqsTopology.SNS, visibility);
  }

  /** Configuration reaching {@code server} in {@code topology}. */
  public static Map<String, String> config(SqsServer server, SqsTopology topology, Duration visibility) {
    return config(server.endpoint(), topology, visibility);
  }

  private static Map<String, String> config(String endpoint, SqsTopology topology, Duration visibility) {
    return Map.of(
        "courier.broker", "sqs",
        "courier.sqs.topology", topology.name().toLowerCase(java.util.Locale.ROOT),
        "courier.sqs.endpoint", endpoint,
        "courier.sqs.access-key-id", "test",
        "courier.sqs.secret-access-key", "test",
        "courier.sqs.wait-time", "1s",
        "courier.sqs.visibility-timeout", visibility.toSeconds() + "s",
        "courier.publish-timeout", "30s");
  }
}
