package dev.courier.bench.peer;

import dev.courier.bench.driver.Endpoint;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.connection.CorrelationData;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.amqp.support.AmqpHeaders;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.cloud.stream.function.StreamBridge;
import org.springframework.integration.annotation.ServiceActivator;
import org.springframework.kafka.support.KafkaHeaders;
import org.springframework.messaging.Message;
import org.springframework.messaging.MessagingException;
import org.springframework.messaging.support.ErrorMessage;
import org.springframework.messaging.support.MessageBuilder;
import org.springframework.stereotype.Component;

/**
 * The workload's {@link Endpoint} through Spring Cloud Stream: publishes with {@link StreamBridge}
 * to the two output bindings, consumes through the {@code receive} function's binding. Kafka:
 * each send's confirmation arrives on the record-metadata channel, correlated by a header.
 * RabbitMQ: each send carries a {@link CorrelationData} whose future the publisher confirm completes.
 * Failed sends reach the error channel. The destinations are fixed for the process's life (the
 * binder binds at start-up): the consumer stays bound between rounds.
 */
@Component
public class ScsEndpoint implements Endpoint {
  static final String SEND_RESULTS = "benchSendResults";
  private static final String SEQ = "bench-seq";

  private final StreamBridge bridge;
  private final ObjectProvider<ConnectionFactory> rabbit;
  private final AtomicLong seq = new AtomicLong();
  private final Map<String, Confirm> pending = new ConcurrentHashMap<>();
  private volatile Consumer<ByteBuffer> handler;
  private String publishOnly;
  private String endToEnd;
  private boolean kafka;

  public ScsEndpoint(StreamBridge bridge, ObjectProvider<ConnectionFactory> rabbit) {
    this.bridge = bridge;
    this.rabbit = rabbit;
  }

  void destinations(String publishOnly, String endToEnd, boolean kafka) {
    this.publishOnly = publishOnly;
    this.endToEnd = endToEnd;
    this.kafka = kafka;
  }

  @Override
  public String create(boolean consumed) {
    return consumed ? endToEnd : publishOnly;
  }

  @Override
  public void publish(String destination, int index, byte[] payload, Confirm confirm) {
    String binding = destination.equals(publishOnly) ? "pub-out-0" : "send-out-0";
    MessageBuilder<byte[]> message = MessageBuilder.withPayload(payload);
    if (kafka) {
      String id = Long.toString(seq.incrementAndGet());
      pending.put(id, confirm);
      message.setHeader(SEQ, id).setHeader(KafkaHeaders.KEY, ("key-" + (index % 1024)).getBytes(StandardCharsets.UTF_8));
      bridge.send(binding, message.build());
    } else {
      CorrelationData correlation = new CorrelationData(Long.toString(seq.incrementAndGet()));
      correlation.getFuture().whenComplete((c, e) -> confirm.done(e != null ? e
          : c.ack() ? null : new IllegalStateException("publisher confirm: nack " + c.reason())));
      bridge.send(binding, message.setHeader(AmqpHeaders.PUBLISH_CONFIRM_CORRELATION, correlation).build());
    }
  }

  /** A Kafka send result: the sent message with its record metadata. */
  void confirmed(Message<?> result) {
    Object id = result.getHeaders().get(SEQ);
    Confirm confirm = id == null ? null : pending.remove(id.toString());
    if (confirm != null) {
      confirm.done(null);
    }
  }

  /** A failed send (either binder), from the global error channel. */
  @ServiceActivator(inputChannel = "errorChannel")
  public void failed(ErrorMessage error) {
    Message<?> failed = error.getPayload() instanceof MessagingException m ? m.getFailedMessage() : null;
    Object id = failed == null ? null : failed.getHeaders().get(SEQ);
    Confirm confirm = id == null ? null : pending.remove(id.toString());
    if (confirm != null) {
      confirm.done(error.getPayload());
    }
  }

  @Override
  public AutoCloseable consume(String destination, Consumer<ByteBuffer> handler) {
    this.handler = handler;
    return () -> this.handler = null;
  }

  void handle(Message<byte[]> message) {
    Consumer<ByteBuffer> h = handler;
    if (h != null) {
      h.accept(ByteBuffer.wrap(message.getPayload()));
    }
  }

  /** RabbitMQ: removes the queues and exchanges the binder declared (Kafka's broker lives as long as the run). */
  void deleteDestinations() {
    if (!kafka) {
      RabbitAdmin admin = new RabbitAdmin(rabbit.getObject());
      for (String d : new String[] {publishOnly, endToEnd}) {
        admin.deleteQueue(d + ".g");
        admin.deleteExchange(d);
      }
    }
  }

  @Override
  public void discard(String destination) {
    if (!kafka && destination.equals(publishOnly)) {
      new RabbitAdmin(rabbit.getObject()).purgeQueue(publishOnly + ".g", false);
    }
  }
}
