package dev.courier.kafka;

import dev.courier.Courier;
import dev.courier.config.CourierConfig;
import dev.courier.testsupport.KafkaBroker;
import java.util.LinkedHashMap;
import java.util.Map;

/** The run's shared broker (started by the build's tests themselves) and Couriers configured for it. */
public final class KafkaTestSupport {
  private KafkaTestSupport() {}

  public static KafkaBroker broker() {
    return KafkaBroker.shared();
  }

  /** Configuration as an application writes it, with test-friendly group timing. */
  public static CourierConfig.Builder config() {
    CourierConfig.Builder b = CourierConfig.builder();
    settings().forEach(b::set);
    return b;
  }

  /** The keys and values of {@link #config()}. */
  public static Map<String, String> settings() {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("courier.broker", "kafka");
    s.put("courier.kafka.bootstrap-servers", broker().bootstrapServers());
    // The adapter's default group timing. At 6 s a member whose JVM (or the broker) stalls past the
    // session under heavy load is fenced: the records it handled after its last commit cannot be
    // committed any more and go to the next owner, which fails TCK-9.5 ("handled again") although
    // the adapter did all it can. 10 s keeps that margin; TCK-9.2's crash bound follows it.
    s.put("courier.kafka.client.consumer.session.timeout.ms", "10000");
    s.put("courier.kafka.client.consumer.heartbeat.interval.ms", "1000");
    s.put("courier.kafka.client.producer.linger.ms", "1");
    // While the broker is down a publish call can block max-block waiting for metadata: at the 10 s
    // default TCK-9.8's 3 publishing threads complete 18 publishes a minute (it failed so: "only 18
    // publishes completed within PT1M"), where the rule asks for 30; a loopback broker needs far less.
    s.put("courier.kafka.max-block", "4s");
    return s;
  }

  public static Courier newCourier() {
    return Courier.fromConfig(config().build());
  }

  /**
   * A transport built in code, for the adapter's own tests; consumer sessions at the adapter's
   * default 10 s, as {@link #settings()} explains.
   */
  public static KafkaSettings.Builder transport() {
    return KafkaTransport.builder(broker().bootstrapServers())
        .clientProperty("producer.linger.ms", "1");
  }
}
