package dev.courier.bench;

import dev.courier.micrometer.CourierMetrics;
import dev.courier.testsupport.KafkaBroker;
import dev.courier.opentelemetry.CourierTracing;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Locale;

/**
 * The in-memory pipeline of {@link Bench} with nothing bound, and with Micrometer metrics and
 * OpenTelemetry tracing (every span sampled, batched to an exporter that drops them) bound, runs
 * interleaved in one JVM; reports each configuration's best throughput and the ratio.
 * With {@code -Dbench.adapter=kafka}, the same comparison on {@link KafkaBench}'s Courier workload
 * (1 KiB keyed messages, 4 partitions) against a KRaft broker it starts.
 * Usage: {@code benchmarks/run observability [messages] [rounds]} (arguments: a name, ignored; the
 * output file; messages per run, default 500,000, 50,000 on Kafka; rounds, default 3). The
 * machine's load moves single runs by ±30 %: compare the best of several rounds.
 */
public final class ObservabilityBench {
  private ObservabilityBench() {}

  public static void main(String[] args) throws Exception {
    Path out = Path.of(args[1]);
    int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 3;
    if ("kafka".equals(System.getProperty("bench.adapter"))) {
      kafka(out, args.length > 2 ? Integer.parseInt(args[2]) : 50_000, rounds);
      return;
    }
    int messages = args.length > 2 ? Integer.parseInt(args[2]) : 500_000;
    for (int i = 0; i < 2; i++) { // warm-up, every way
      Bench.run(1, 100_000);
      observed(100_000, true, true);
    }
    double off = 0;
    double metrics = 0;
    double tracing = 0;
    double both = 0;
    for (int r = 0; r < rounds; r++) {
      off = Math.max(off, report(r, "nothing bound", Bench.run(1, messages)));
      metrics = Math.max(metrics, report(r, "metrics", observed(messages, true, false)));
      tracing = Math.max(tracing, report(r, "tracing", observed(messages, false, true)));
      both = Math.max(both, report(r, "metrics+tracing", observed(messages, true, true)));
    }
    System.out.printf(Locale.ROOT, "best of %d: nothing bound %,.0f msgs/s; ratios: metrics %.3f, tracing %.3f, "
        + "both %.3f%n", rounds, off, metrics / off, tracing / off, both / off);
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, String.format(Locale.ROOT,
        "{\"adapter\":\"inmemory\",\"messages\":%d,\"rounds\":%d,\"nothingBoundMsgsPerSec\":%.0f,"
            + "\"metricsRatio\":%.3f,\"tracingRatio\":%.3f,\"bothRatio\":%.3f}%n", messages, rounds, off,
        metrics / off, tracing / off, both / off), StandardCharsets.UTF_8);
  }

  private static void kafka(Path out, int messages, int rounds) throws Exception {
    System.setProperty("org.slf4j.simpleLogger.log.org.apache.kafka", "warn");
    try (KafkaBroker broker = KafkaBroker.create();
        OpenTelemetrySdk otel = sdk()) {
      broker.start();
      String bootstrap = broker.bootstrapServers();
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      java.util.function.Consumer<dev.courier.Courier> both = courier -> {
        CourierMetrics.bind(courier, registry);
        CourierTracing.bind(courier, otel);
      };
      KafkaBench.courier(bootstrap, 10_000); // warm-up, both ways
      KafkaBench.courier(bootstrap, 10_000, both);
      double off = 0;
      double on = 0;
      for (int r = 0; r < rounds; r++) {
        Comparison.Result plain = KafkaBench.courier(bootstrap, messages);
        Comparison.Result bound = KafkaBench.courier(bootstrap, messages, both);
        System.out.printf(Locale.ROOT, "round %d, kafka end-to-end: nothing bound %,.0f msgs/s (p50 %d µs), "
            + "metrics+tracing %,.0f msgs/s (p50 %d µs)%n", r + 1, plain.endToEndRate(), plain.p50(),
            bound.endToEndRate(), bound.p50());
        off = Math.max(off, plain.endToEndRate());
        on = Math.max(on, bound.endToEndRate());
      }
      System.out.printf(Locale.ROOT, "best of %d on kafka: nothing bound %,.0f msgs/s; metrics+tracing ratio %.3f%n",
          rounds, off, on / off);
      Files.createDirectories(out.toAbsolutePath().getParent());
      Files.writeString(out, String.format(Locale.ROOT,
          "{\"adapter\":\"kafka\",\"messages\":%d,\"rounds\":%d,\"nothingBoundMsgsPerSec\":%.0f,"
              + "\"bothRatio\":%.3f}%n", messages, rounds, off, on / off), StandardCharsets.UTF_8);
    }
  }

  private static OpenTelemetrySdk sdk() {
    return OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder()
            .addSpanProcessor(BatchSpanProcessor.builder(new DroppingExporter()).setMaxQueueSize(65_536).build())
            .build())
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance())).build();
  }

  private static double report(int round, String what, Bench.Result r) {
    System.out.printf(Locale.ROOT, "round %d, %-16s %,9.0f msgs/s, p50 %d µs%n", round + 1, what, r.rate(), r.p50());
    return r.rate();
  }

  private static Bench.Result observed(int messages, boolean withMetrics, boolean withTracing)
      throws InterruptedException, IOException {
    try (OpenTelemetrySdk otel = sdk()) {
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      return Bench.run(1, messages, courier -> {
        if (withMetrics) {
          CourierMetrics.bind(courier, registry);
        }
        if (withTracing) {
          CourierTracing.bind(courier, otel);
        }
      });
    }
  }

  /** Exports nowhere: measures producing spans, not a backend. */
  private static final class DroppingExporter implements SpanExporter {
    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode flush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }
}
