package dev.courier.bench.peer;

import dev.courier.bench.driver.PeerProtocol;
import dev.courier.bench.driver.Workload;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.springframework.boot.Banner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The peer's process: a Spring Cloud Stream application with one consumer binding and two output
 * bindings, serving the harness's rounds on standard input/output ({@link PeerProtocol}); its logs
 * go to standard error. Arguments, {@code key=value}: {@code binder} (kafka or rabbit),
 * {@code brokers} (Kafka bootstrap servers) or {@code host}, {@code port}, {@code username},
 * {@code password} (RabbitMQ), {@code payloadBytes}, {@code window}, {@code prefetch},
 * {@code partitions}, {@code concurrency}.
 */
public final class PeerMain {
  private PeerMain() {}

  public static void main(String[] args) throws Exception {
    PrintStream protocol = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
        StandardCharsets.UTF_8);
    System.setOut(System.err);
    Map<String, String> opts = new HashMap<>();
    for (String a : args) {
      int eq = a.indexOf('=');
      opts.put(a.substring(0, eq), a.substring(eq + 1));
    }
    String binder = opts.get("binder");
    String publishOnly = "bench-scs-" + UUID.randomUUID();
    String endToEnd = publishOnly + "-e2e";
    SpringApplication app = new SpringApplication(PeerApplication.class);
    app.setWebApplicationType(WebApplicationType.NONE);
    app.setBannerMode(Banner.Mode.OFF);
    app.setDefaultProperties(properties(binder, opts, publishOnly, endToEnd));
    app.setRegisterShutdownHook(false);
    ConfigurableApplicationContext context = app.run();
    ScsEndpoint endpoint = context.getBean(ScsEndpoint.class);
    endpoint.destinations(publishOnly, endToEnd, "kafka".equals(binder));
    Workload.Settings settings = new Workload.Settings(Integer.parseInt(opts.get("payloadBytes")),
        Integer.parseInt(opts.get("window")), 0, true);
    PeerProtocol.serve(endpoint, settings,
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)), protocol);
    endpoint.deleteDestinations();
    // Not context.close(): unbinding the output bindings fails in Spring Cloud Stream 5.0.4 (it asks for
    // error-channel bridge beans while the context is being destroyed) and only adds noise to the run's log.
    Runtime.getRuntime().halt(0);
  }

  /** The binder settings that make the peer's workload the same as Courier's and the raw client's. */
  static Map<String, Object> properties(String binder, Map<String, String> opts, String publishOnly, String endToEnd) {
    Map<String, Object> p = new HashMap<>();
    p.put("logging.level.root", "WARN");
    p.put("spring.cloud.function.definition", "receive");
    p.put("spring.cloud.stream.output-bindings", "pub;send");
    p.put("spring.cloud.stream.default-binder", binder);
    p.put("spring.cloud.stream.bindings.pub-out-0.destination", publishOnly);
    p.put("spring.cloud.stream.bindings.send-out-0.destination", endToEnd);
    p.put("spring.cloud.stream.bindings.receive-in-0.destination", endToEnd);
    p.put("spring.cloud.stream.bindings.receive-in-0.group", "g");
    p.put("spring.cloud.stream.bindings.receive-in-0.consumer.concurrency", opts.getOrDefault("concurrency", "1"));
    for (String b : new String[] {"pub-out-0", "send-out-0", "receive-in-0"}) {
      p.put("spring.cloud.stream.bindings." + b + ".content-type", "application/octet-stream");
    }
    for (String out : new String[] {"pub-out-0", "send-out-0"}) {
      p.put("spring.cloud.stream.bindings." + out + ".producer.error-channel-enabled", "true");
    }
    if ("kafka".equals(binder)) {
      p.put("spring.cloud.stream.kafka.binder.brokers", opts.get("brokers"));
      p.put("spring.cloud.stream.kafka.binder.required-acks", "all");
      p.put("spring.cloud.stream.kafka.binder.min-partition-count", opts.getOrDefault("partitions", "4"));
      p.put("spring.cloud.stream.kafka.binder.producer-properties.enable.idempotence", "true");
      for (String out : new String[] {"pub-out-0", "send-out-0"}) {
        // confirmations arrive asynchronously on this channel (the send itself does not wait)
        p.put("spring.cloud.stream.kafka.bindings." + out + ".producer.record-metadata-channel", ScsEndpoint.SEND_RESULTS);
        p.put("spring.cloud.stream.kafka.bindings." + out + ".producer.sync", "false");
        // kafka-clients' own default linger.ms (5), which Courier and the raw producer use; the binder's is 0
        p.put("spring.cloud.stream.kafka.bindings." + out + ".producer.batch-timeout", "5");
      }
      p.put("spring.cloud.stream.kafka.bindings.receive-in-0.consumer.start-offset", "earliest");
    } else {
      p.put("spring.rabbitmq.host", opts.get("host"));
      p.put("spring.rabbitmq.port", opts.get("port"));
      p.put("spring.rabbitmq.username", opts.get("username"));
      p.put("spring.rabbitmq.password", opts.get("password"));
      p.put("spring.rabbitmq.publisher-confirm-type", "correlated");
      // With correlated confirms a channel goes back to Spring's cache only once its confirms arrived, and a
      // channel returned to a full cache is closed: on the default 25, with a window of unconfirmed publishes
      // each send opened a channel and a pool thread waited for its confirms to close it (profiled: 891 threads
      // started in a run of 45,000 messages, publishing at ~0.1 of the raw client's rate). A cache that holds a
      // window's channels is the documented Boot setting; Spring AMQP's reference advises raising it when
      // channels churn.
      p.put("spring.rabbitmq.cache.channel.size", Integer.toString(Integer.parseInt(opts.get("window")) + 64));
      p.put("spring.rabbitmq.publisher-returns", "true"); // mandatory publishes, as Courier and the raw client make
      // the queue of the publish-only destination exists (as Courier's and the raw client's do), so messages are stored
      p.put("spring.cloud.stream.bindings.pub-out-0.producer.required-groups", "g");
      p.put("spring.cloud.stream.rabbit.bindings.pub-out-0.producer.quorum.enabled", "true");
      for (String out : new String[] {"pub-out-0", "send-out-0"}) {
        p.put("spring.cloud.stream.rabbit.bindings." + out + ".producer.use-confirm-header", "true");
        p.put("spring.cloud.stream.rabbit.bindings." + out + ".producer.delivery-mode", "PERSISTENT");
      }
      p.put("spring.cloud.stream.rabbit.bindings.receive-in-0.consumer.quorum.enabled", "true");
      p.put("spring.cloud.stream.rabbit.bindings.receive-in-0.consumer.prefetch", opts.getOrDefault("prefetch", "256"));
      p.put("spring.cloud.stream.rabbit.bindings.receive-in-0.consumer.acknowledge-mode", "AUTO");
    }
    return p;
  }
}
