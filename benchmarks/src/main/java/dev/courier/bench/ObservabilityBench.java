package dev.courier.bench;

import dev.courier.Courier;
import dev.courier.micrometer.CourierMetrics;
import dev.courier.opentelemetry.CourierTracing;
import dev.courier.testsupport.KafkaBroker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;
import java.util.function.Consumer;

/**
 * {@link Bench}'s in-memory pipeline (one subscriber) with nothing bound, with Micrometer metrics,
 * with OpenTelemetry tracing (every span sampled, batched to an exporter that drops them) and with
 * both, as four sides of one run; ratios against nothing bound. With {@code -Dbench.adapter=kafka}
 * ({@code benchmarks/run observability-kafka}), nothing vs both on {@link KafkaBench}'s Courier
 * workload against a KRaft broker it starts.
 */
public final class ObservabilityBench {
  private ObservabilityBench() {}

  public static void main(String[] args) throws Exception {
    if ("kafka".equals(System.getProperty("bench.adapter"))) {
      kafka(Options.parse(args, 50_000));
      return;
    }
    Options options = Options.parse(args, 1_000_000);
    new Harness(options).withoutLatency()
        .workload("payloadBytes", Bench.PAYLOAD_BYTES).workload("maxBacklog", Bench.BACKLOG)
        .side("none", "nothing bound", Harness.Side.of(Bench.courier(1, c -> {}), Bench.SETTINGS))
        .side("metrics", "CourierMetrics on a SimpleMeterRegistry", observed(true, false))
        .side("tracing", "CourierTracing, every span sampled, dropped by the exporter", observed(false, true))
        .side("both", "metrics and tracing", observed(true, true))
        .ratio("metricsToNone", "metrics", "none")
        .ratio("tracingToNone", "tracing", "none")
        .ratio("bothToNone", "both", "none")
        .run();
  }

  private static void kafka(Options options) throws Exception {
    System.setProperty("org.slf4j.simpleLogger.log.org.apache.kafka", "warn");
    try (KafkaBroker broker = KafkaBroker.create()) {
      broker.start();
      String bootstrap = broker.bootstrapServers();
      OpenTelemetrySdk otel = sdk();
      new Harness(options).withoutLatency()
          .workload("payloadBytes", KafkaBench.PAYLOAD_BYTES).workload("partitions", KafkaBench.PARTITIONS)
          .side("none", "nothing bound", Harness.Side.of(KafkaBench.courier(bootstrap, c -> {}), KafkaBench.SETTINGS))
          .side("both", "CourierMetrics and CourierTracing bound", Harness.Side.of(KafkaBench.courier(bootstrap,
              bind(true, true, otel)).closeWith(otel), KafkaBench.SETTINGS))
          .ratio("bothToNone", "both", "none")
          .run();
    }
  }

  private static Harness.Side observed(boolean withMetrics, boolean withTracing) {
    OpenTelemetrySdk otel = sdk();
    return Harness.Side.of(Bench.courier(1, bind(withMetrics, withTracing, otel)).closeWith(otel), Bench.SETTINGS);
  }

  private static Consumer<Courier> bind(boolean withMetrics, boolean withTracing, OpenTelemetrySdk otel) {
    return courier -> {
      if (withMetrics) {
        CourierMetrics.bind(courier, new SimpleMeterRegistry());
      }
      if (withTracing) {
        CourierTracing.bind(courier, otel);
      }
    };
  }

  private static OpenTelemetrySdk sdk() {
    return OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder()
            .addSpanProcessor(BatchSpanProcessor.builder(new DroppingExporter()).setMaxQueueSize(65_536).build())
            .build())
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance())).build();
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
