package dev.courier.opentelemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.Courier;
import dev.courier.Message;
import dev.courier.PayloadTooLargeException;
import dev.courier.RetryPolicy;
import dev.courier.Subscription;
import dev.courier.SubscriptionOptions;
import dev.courier.spi.Transport;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * What tracing guarantees on any adapter: each adapter's test class supplies a transport and
 * cleans up what a test made. Spans go to the SDK's in-memory exporter.
 */
abstract class TracingContract {
  private static final long DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(30);

  InMemorySpanExporter spans;
  OpenTelemetrySdk otel;
  Courier courier;
  String topic;
  final String group = "billing";

  /** A new transport on this adapter. */
  abstract Transport transport();

  /** A topic name unique to this test. */
  abstract String uniqueTopic();

  /** How long a redrive waits for the next dead letter; brokers slow to start a consumer need more. */
  Duration redriveIdleTimeout() {
    return Duration.ofSeconds(1);
  }

  @BeforeEach
  void start() {
    spans = InMemorySpanExporter.create();
    otel = OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
        .build();
    courier = Courier.builder().transport(transport()).redriveIdleTimeout(redriveIdleTimeout()).build();
    CourierTracing.bind(courier, otel);
    topic = uniqueTopic();
    courier.admin().ensureGroup(topic, group);
  }

  @AfterEach
  void stop() {
    courier.close();
    otel.close();
  }

  static Message text(String s) {
    return Message.builder().payload(s.getBytes(StandardCharsets.UTF_8)).build();
  }

  static void await(BooleanSupplier condition, String what) {
    if (!dev.courier.testsupport.Poll.until(java.time.Duration.ofNanos(DEADLINE_NANOS), condition)) {
      throw new AssertionError("timed out waiting until " + what);
    }
  }

  List<SpanData> finished(Predicate<SpanData> p) {
    return spans.getFinishedSpanItems().stream().filter(p).toList();
  }

  static Predicate<SpanData> named(String name) {
    return s -> s.getName().equals(name);
  }

  static <T> T attr(SpanData s, AttributeKey<T> key) {
    return s.getAttributes().get(key);
  }

  @Test
  @DisplayName("a publish's producer span is the parent of the handler's process span, current while the handler runs")
  void publishThenProcess() throws Exception {
    Map<String, String> inHandler = new ConcurrentHashMap<>();
    try (Subscription s = courier.subscribe(SubscriptionOptions.builder(topic, group).build(), d -> {
      inHandler.put("traceparent", d.message().headers().get("traceparent").orElse("none"));
      inHandler.put("current", Span.current().getSpanContext().getSpanId());
    })) {
      Message m = text("hello");
      courier.publisher().publish(topic, m).get(10, TimeUnit.SECONDS);
      await(() -> finished(named("process " + topic)).size() == 1, "the process span ends");
      SpanData publish = finished(named("publish " + topic)).get(0);
      SpanData process = finished(named("process " + topic)).get(0);
      assertEquals(SpanKind.PRODUCER, publish.getKind());
      assertEquals(SpanKind.CONSUMER, process.getKind());
      assertEquals(publish.getTraceId(), process.getTraceId());
      assertEquals(publish.getSpanId(), process.getParentSpanId());
      assertEquals(publish.getSpanId(), process.getLinks().get(0).getSpanContext().getSpanId(), "linked too");
      assertEquals(process.getSpanId(), inHandler.get("current"), "the process span is current in the handler");
      assertTrue(inHandler.get("traceparent").contains(publish.getTraceId() + "-" + publish.getSpanId()),
          inHandler.get("traceparent"));
      assertEquals(CourierTracing.system(courier.adapter()), attr(process, CourierTracing.SYSTEM));
      assertEquals(topic, attr(process, CourierTracing.DESTINATION));
      assertEquals(group, attr(process, CourierTracing.GROUP));
      assertEquals(m.id(), attr(process, CourierTracing.MESSAGE_ID));
      assertEquals(m.id(), attr(publish, CourierTracing.MESSAGE_ID));
      assertEquals("process", attr(process, CourierTracing.OPERATION_TYPE));
      assertEquals("send", attr(publish, CourierTracing.OPERATION_TYPE));
      assertEquals(1L, attr(process, CourierTracing.ATTEMPT));
    }
  }

  @Test
  @DisplayName("one trace from publish through in-process retries, two redeliveries, the dead letter and a redrive")
  void connectedThroughRetryRedeliveryDeadLetterAndRedrive() throws Exception {
    RetryPolicy retry = RetryPolicy.builder().maxInProcessAttempts(2).maxDeliveries(3)
        .initialInterval(Duration.ZERO).maxInterval(Duration.ZERO)
        .redeliveryInitialDelay(Duration.ofMillis(20)).redeliveryMaxDelay(Duration.ofMillis(20)).build();
    AtomicBoolean failing = new AtomicBoolean(true);
    String dead = "dead_letter " + courier.admin().deadLetters(topic, group).topic();
    try (Subscription s = courier.subscribe(SubscriptionOptions.builder(topic, group).retry(retry).build(), d -> {
      if (failing.get()) {
        throw new IllegalStateException("not yet");
      }
    })) {
      courier.publisher().publish(topic, text("order")).get(10, TimeUnit.SECONDS);
      await(() -> finished(named(dead)).size() == 1, "the message is dead-lettered");
      failing.set(false);
      assertEquals(1, courier.admin().deadLetters(topic, group).redrive());
      await(() -> finished(named("process " + topic)).size() == 7, "the redriven copy is processed");
    }
    SpanData publish = finished(named("publish " + topic)).get(0);
    assertEquals(1, finished(named("publish " + topic)).size(), "a redrive is not an application publish");
    List<SpanData> process = finished(named("process " + topic));
    for (SpanData p : process) {
      assertEquals(publish.getTraceId(), p.getTraceId(), p.toString());
      assertEquals(publish.getSpanId(), p.getParentSpanId(), "every attempt descends from the publish: " + p);
    }
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 1L), process.stream().map(p -> attr(p, CourierTracing.ATTEMPT)).toList());
    assertEquals(6, process.stream().filter(p -> p.getStatus().getStatusCode() == StatusCode.ERROR).count());
    SpanData redriven = process.get(6);
    assertEquals(StatusCode.UNSET, redriven.getStatus().getStatusCode());
    assertEquals(1L, attr(redriven, CourierTracing.REDRIVE_COUNT));
    assertEquals(publish.getSpanId(), redriven.getLinks().get(0).getSpanContext().getSpanId(),
        "the redriven message's process span links back to the original publish");
    SpanData deadLetter = finished(named(dead)).get(0);
    assertEquals(publish.getTraceId(), deadLetter.getTraceId());
    assertEquals(6L, attr(deadLetter, CourierTracing.ATTEMPT));
  }

  @Test
  @DisplayName("a message published by a handler continues the handler's trace")
  void publishFromHandler() throws Exception {
    String next = topic + "-next";
    courier.admin().ensureGroup(next, group);
    try (Subscription s = courier.subscribe(SubscriptionOptions.builder(topic, group).build(),
        d -> courier.publisher().publish(next, text("follow-up")).get(10, TimeUnit.SECONDS))) {
      courier.publisher().publish(topic, text("first")).get(10, TimeUnit.SECONDS);
      await(() -> finished(named("publish " + next)).size() == 1, "the follow-up is published");
      await(() -> finished(named("process " + topic)).size() == 1, "the handler's span ends");
    }
    SpanData process = finished(named("process " + topic)).get(0);
    SpanData followUp = finished(named("publish " + next)).get(0);
    assertEquals(process.getTraceId(), followUp.getTraceId());
    assertEquals(process.getSpanId(), followUp.getParentSpanId());
  }

  @Test
  @DisplayName("a message without a trace context starts a new trace")
  void untraced() throws Exception {
    try (Courier plain = Courier.builder().transport(transport()).build();
        Subscription s = courier.subscribe(SubscriptionOptions.builder(topic, group).build(), d -> {})) {
      plain.publisher().publish(topic, text("untraced")).get(10, TimeUnit.SECONDS);
      await(() -> finished(named("process " + topic)).size() == 1, "the process span ends");
    }
    SpanData process = finished(named("process " + topic)).get(0);
    assertFalse(process.getParentSpanContext().isValid(), "a root span: " + process);
    assertTrue(process.getLinks().isEmpty());
    assertEquals(0, finished(named("publish " + topic)).size());
  }

  @Test
  @DisplayName("a publish rejected before any I/O ends its producer span in error")
  void rejectedPublish() {
    byte[] tooBig = new byte[courier.capabilities().maxPayloadBytes() + 1];
    assertThrows(PayloadTooLargeException.class,
        () -> courier.publisher().publish(topic, Message.builder().payload(tooBig).build()));
    SpanData publish = finished(named("publish " + topic)).get(0);
    assertEquals(StatusCode.ERROR, publish.getStatus().getStatusCode());
    assertEquals(PayloadTooLargeException.class.getName(), attr(publish, CourierTracing.ERROR_TYPE));
  }
}
