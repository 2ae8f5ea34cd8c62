package dev.courier.pubsub;

import dev.courier.Courier;
import dev.courier.config.CourierConfig;
import dev.courier.testsupport.PubSubEmulator;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/** The run's emulator (started by test-support on first use) and how the tests reach it. */
public final class PubSubTestSupport {
  /** The lease the tests configure: Pub/Sub's shortest, so the lease rules run as quickly as they can. */
  public static final Duration ACK_DEADLINE = Duration.ofSeconds(10);

  private PubSubTestSupport() {}

  public static PubSubEmulator emulator() {
    return PubSubEmulator.shared();
  }

  /** Configuration of a Courier on the run's emulator, by name as an application would write it. */
  public static Map<String, String> config() {
    PubSubEmulator e = emulator();
    return Map.of(
        "courier.broker", "gcp-pubsub",
        "courier.gcp-pubsub.project-id", e.projectId(),
        "courier.gcp-pubsub.emulator-host", e.endpoint(),
        "courier.gcp-pubsub.ack-deadline", ACK_DEADLINE.toSeconds() + "s",
        "courier.gcp-pubsub.publish-timeout", "5s",
        "courier.gcp-pubsub.admin-timeout", "20s");
  }

  public static Courier newCourier() {
    CourierConfig.Builder b = CourierConfig.builder();
    config().forEach(b::set);
    return Courier.fromConfig(b.build());
  }

  public static PubSubSettings.Builder settings() {
    PubSubEmulator e = emulator();
    return PubSubSettings.builder().projectId(e.projectId()).emulatorHost(e.endpoint()).ackDeadline(ACK_DEADLINE)
        .publishTimeout(Duration.ofSeconds(5)).adminTimeout(Duration.ofSeconds(20));
  }

  public static PubSubTransport newTransport() {
    return PubSubTransport.connect(settings().build());
  }

  public static String uniqueName(String purpose) {
    return "t-" + purpose + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xFFFFFFFFFFL);
  }
}
