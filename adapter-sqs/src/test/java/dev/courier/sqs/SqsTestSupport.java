package dev.courier.sqs;

import dev.courier.testsupport.ElasticMqServer;
import java.time.Duration;
import java.util.Map;

/** Settings and configuration reaching a test ElasticMQ server, with test-friendly timings. */
public final class SqsTestSupport {
  private SqsTestSupport() {}

  /** Settings for {@code server}: dummy static credentials, 1 s long polls. */
  public static SqsSettings.Builder settings(ElasticMqServer server) {
    return SqsSettings.builder().endpoint(server.endpoint()).credentials("test", "test")
        .waitTime(Duration.ofSeconds(1)).publishTimeout(Duration.ofSeconds(10));
  }

  /** The same as configuration for {@code Courier.fromConfig}. */
  public static Map<String, String> config(ElasticMqServer server, Duration visibility) {
    return Map.of(
        "courier.broker", "sqs",
        "courier.sqs.endpoint", server.endpoint(),
        "courier.sqs.access-key-id", "test",
        "courier.sqs.secret-access-key", "test",
        "courier.sqs.wait-time", "1s",
        "courier.sqs.visibility-timeout", visibility.toSeconds() + "s",
        "courier.publish-timeout", "10s");
  }
}
