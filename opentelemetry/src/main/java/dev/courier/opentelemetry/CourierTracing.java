package dev.courier.opentelemetry;

import dev.courier.Courier;
import dev.courier.CourierHeaders;
import dev.courier.CourierListener;
import dev.courier.Delivery;
import dev.courier.DeliveryInterceptor;
import dev.courier.Message;
import dev.courier.MessageHandler;
import dev.courier.PublishInterceptor;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * OpenTelemetry tracing for a Courier, through its interceptors. Bind with one line:
 * {@code CourierTracing.bind(courier, openTelemetry)}.
 *
 * <ul>
 *   <li>Every publish gets a {@code PRODUCER} span {@code publish <topic>}, ended when the broker
 *       confirmed or failed the message, and the message carries its context in the propagator's
 *       headers (W3C {@code traceparent} / {@code tracestate} by default), native headers on every
 *       adapter.
 *   <li>Every handler call gets a {@code CONSUMER} span {@code process <topic>}, current while the
 *       handler runs, a child of (and linked to) the context the message carries, with the attempt
 *       as {@code courier.attempt}; a failed call records its exception.
 *   <li>The trace stays connected: in-process retries and broker redeliveries carry the same
 *       headers, so each attempt's span is another child of the publish; a dead-lettered message
 *       gets a {@code PRODUCER} span {@code dead_letter <dead-letter topic>} in the same trace;
 *       dead letters and redriven copies keep the original's headers, so a redriven message's
 *       process spans still descend from, and link to, the original publish
 *       ({@code courier.redrive_count} tells them apart).
 * </ul>
 *
 * Attributes follow the OpenTelemetry messaging semantic conventions: {@code messaging.system},
 * {@code messaging.destination.name}, {@code messaging.consumer.group.name},
 * {@code messaging.message.id}, {@code messaging.operation.type}, {@code messaging.operation.name}.
 */
public final class CourierTracing implements PublishInterceptor, DeliveryInterceptor, CourierListener {
  static final AttributeKey<String> SYSTEM = AttributeKey.stringKey("messaging.system");
  static final AttributeKey<String> DESTINATION = AttributeKey.stringKey("messaging.destination.name");
  static final AttributeKey<String> GROUP = AttributeKey.stringKey("messaging.consumer.group.name");
  static final AttributeKey<String> MESSAGE_ID = AttributeKey.stringKey("messaging.message.id");
  static final AttributeKey<String> OPERATION_TYPE = AttributeKey.stringKey("messaging.operation.type");
  static final AttributeKey<String> OPERATION_NAME = AttributeKey.stringKey("messaging.operation.name");
  static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
  static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("courier.attempt");
  static final AttributeKey<Long> REDRIVE_COUNT = AttributeKey.longKey("courier.redrive_count");

  private final Tracer tracer;
  private final TextMapPropagator propagator;
  private final String system;
  /** Span name and constant attributes per topic (publish) and per topic and group (process). */
  private final Map<String, Names> publishNames = new ConcurrentHashMap<>();
  private final Map<String, Map<String, Names>> processNames = new ConcurrentHashMap<>();

  private record Names(String span, Attributes attributes) {}

  private CourierTracing(OpenTelemetry openTelemetry, String adapter) {
    this.tracer = openTelemetry.getTracer("dev.courier");
    this.propagator = openTelemetry.getPropagators().getTextMapPropagator();
    this.system = system(adapter);
  }

  /** Registers tracing's interceptors and listener with {@code courier}, for publishes and handler calls from now on. */
  public static CourierTracing bind(Courier courier, OpenTelemetry openTelemetry) {
    Objects.requireNonNull(courier, "courier");
    Objects.requireNonNull(openTelemetry, "openTelemetry");
    CourierTracing tracing = new CourierTracing(openTelemetry, courier.adapter());
    courier.addPublishInterceptor(tracing);
    courier.addDeliveryInterceptor(tracing);
    courier.addListener(tracing);
    return tracing;
  }

  /** The semantic conventions' well-known values where an adapter has one, else its name. */
  static String system(String adapter) {
    return switch (adapter) {
      case "sqs", "sqs-sns" -> "aws_sqs";
      case "gcp-pubsub" -> "gcp_pubsub";
      default -> adapter;
    };
  }

  @Override
  public CompletableFuture<Void> around(String topic, Message message, Next next) {
    Names names = publishNames.get(topic);
    if (names == null) {
      names = publishNames.computeIfAbsent(topic, t -> new Names("publish " + t, Attributes.of(
          SYSTEM, system, DESTINATION, t, OPERATION_TYPE, "send", OPERATION_NAME, "publish")));
    }
    Span span = tracer.spanBuilder(names.span()).setSpanKind(SpanKind.PRODUCER)
        .setAllAttributes(names.attributes()).setAttribute(MESSAGE_ID, message.id()).startSpan();
    Context context = Context.current().with(span);
    HeadersCarrier.Injected injected = new HeadersCarrier.Injected(message);
    propagator.inject(context, injected, HeadersCarrier.SETTER);
    Message traced = injected.message();
    CompletableFuture<Void> sent;
    try (Scope ignored = context.makeCurrent()) {
      sent = next.publish(traced);
    } catch (RuntimeException | Error e) { // the span ends whatever the send threw
      fail(span, e);
      span.end();
      throw e;
    }
    if (sent.isDone() && !sent.isCompletedExceptionally()) {
      span.end(); // confirmed already (in-process): no callback
      return sent;
    }
    sent.whenComplete((v, e) -> {
      if (e != null) {
        fail(span, e instanceof CompletionException && e.getCause() != null ? e.getCause() : e);
      }
      span.end();
    });
    return sent;
  }

  @Override
  public void around(Delivery delivery, MessageHandler next) throws Exception {
    Message message = delivery.message();
    Names names = processNames(delivery.topic(), delivery.group());
    SpanBuilder builder = tracer.spanBuilder(names.span()).setSpanKind(SpanKind.CONSUMER)
        .setAllAttributes(names.attributes()).setAttribute(MESSAGE_ID, message.id())
        .setAttribute(ATTEMPT, (long) delivery.attempt());
    parent(builder, message);
    String redriven = message.headers().asMap().get(CourierHeaders.REDRIVE_COUNT);
    if (redriven != null) {
      try {
        builder.setAttribute(REDRIVE_COUNT, Long.parseLong(redriven));
      } catch (NumberFormatException ignored) {
        // another producer's value: not ours to report
      }
    }
    Span span = builder.startSpan();
    try (Scope ignored = span.makeCurrent()) {
      next.handle(delivery);
    } catch (Exception | Error e) {
      fail(span, e);
      throw e;
    } finally {
      span.end();
    }
  }

  private Names processNames(String topic, String group) {
    Map<String, Names> byGroup = processNames.get(topic);
    Names names = byGroup == null ? null : byGroup.get(group);
    if (names != null) {
      return names;
    }
    return processNames.computeIfAbsent(topic, t -> new ConcurrentHashMap<>())
        .computeIfAbsent(group, g -> new Names("process " + topic, Attributes.of(
            SYSTEM, system, DESTINATION, topic, GROUP, g, OPERATION_TYPE, "process", OPERATION_NAME, "process")));
  }

  @Override
  public void deadLettered(Delivery delivery, Throwable failure, String deadLetterTopic) {
    SpanBuilder builder = tracer.spanBuilder("dead_letter " + deadLetterTopic).setSpanKind(SpanKind.PRODUCER)
        .setAttribute(SYSTEM, system).setAttribute(DESTINATION, deadLetterTopic)
        .setAttribute(GROUP, delivery.group()).setAttribute(MESSAGE_ID, delivery.message().id())
        .setAttribute(OPERATION_TYPE, "send").setAttribute(OPERATION_NAME, "dead_letter")
        .setAttribute(ATTEMPT, (long) delivery.attempt());
    parent(builder, delivery.message());
    Span span = builder.startSpan();
    span.setAttribute(ERROR_TYPE, failure.getClass().getName());
    span.end();
  }

  /** The message's propagated context as parent and link; a new trace when it carries none. */
  private void parent(SpanBuilder builder, Message message) {
    Context extracted = propagator.extract(Context.root(), message.headers(), HeadersCarrier.GETTER);
    SpanContext producer = Span.fromContext(extracted).getSpanContext();
    builder.setParent(extracted);
    if (producer.isValid()) {
      builder.addLink(producer);
    }
  }

  private static void fail(Span span, Throwable e) {
    span.recordException(e);
    span.setStatus(StatusCode.ERROR, e.getClass().getSimpleName());
    span.setAttribute(ERROR_TYPE, e.getClass().getName());
  }
}
