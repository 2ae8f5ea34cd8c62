package dev.courier.internal;

import dev.courier.Capability;
import dev.courier.CourierHeaders;
import dev.courier.DeadLetters;
import dev.courier.Headers;
import dev.courier.Message;
import dev.courier.PayloadTooLargeException;
import dev.courier.PublishException;
import dev.courier.UnsupportedCapabilityException;
import dev.courier.spi.ReceiveSpec;
import dev.courier.spi.Receiver;
import dev.courier.spi.TopicBrowser;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportDelivery;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Dead-letter admin over the transport: count from the dead-letter group's backlog (unknown where
 * the broker cannot count), peek through {@link TopicBrowser}, redrive by consuming the dead-letter
 * group on the caller's thread until it stays empty for the idle timeout, republishing each
 * message before acking it.
 */
public final class DefaultDeadLetters implements DeadLetters {
  private static final int REDRIVE_IN_FLIGHT = 16;

  private final Transport transport;
  private final String sourceTopic;
  private final String group;
  private final String topic;
  private final String deadLetterGroup;
  private final Duration publishTimeout;
  private final Duration idleTimeout;

  public DefaultDeadLetters(Transport transport, String sourceTopic, String group, String deadLetterTopic,
      Duration publishTimeout, Duration idleTimeout) {
    this.transport = transport;
    this.sourceTopic = sourceTopic;
    this.group = group;
    this.topic = deadLetterTopic;
    this.deadLetterGroup = transport.naming().deadLetterGroup();
    this.publishTimeout = publishTimeout;
    this.idleTimeout = idleTimeout;
  }

  @Override
  public String topic() {
    return topic;
  }

  @Override
  public String sourceTopic() {
    return sourceTopic;
  }

  @Override
  public String group() {
    return group;
  }

  @Override
  public OptionalLong count() {
    provision();
    return transport.backlog(topic, deadLetterGroup);
  }

  @Override
  public List<Message> peek(int max) {
    if (max < 1) {
      throw new IllegalArgumentException("max must be at least 1, was " + max);
    }
    if (!transport.capabilities().has(Capability.PEEK) || !(transport instanceof TopicBrowser browser)) {
      throw new UnsupportedCapabilityException(transport.name(), Capability.PEEK, "DeadLetters.peek");
    }
    provision();
    return List.copyOf(browser.peek(topic, deadLetterGroup, max));
  }

  @Override
  public int redrive() {
    return redrive(Integer.MAX_VALUE);
  }

  @Override
  public int redrive(int max) {
    if (max < 0) {
      throw new IllegalArgumentException("max must not be negative, was " + max);
    }
    if (max == 0) {
      return 0;
    }
    provision();
    // Drains until the group stays empty for the idle timeout rather than trusting a count, which
    // some brokers only estimate and some cannot give. A message dead-lettered again during the
    // call comes back with an id already moved: it is handed back for later, so it is neither
    // redriven twice nor keeps the drain awake.
    BlockingQueue<TransportDelivery> arrived = new LinkedBlockingQueue<>();
    Receiver receiver = transport.receive(
        new ReceiveSpec(topic, deadLetterGroup, Math.min(max, REDRIVE_IN_FLIGHT), false), arrived::add);
    Set<String> moved = new HashSet<>();
    long idleSince = System.nanoTime();
    try {
      while (moved.size() < max) {
        long left = idleTimeout.toNanos() - (System.nanoTime() - idleSince);
        TransportDelivery d;
        try {
          d = left <= 0 ? null : arrived.poll(left, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
        if (d == null) {
          break;
        }
        if (!d.tryStart()) {
          continue; // the broker took it back: it arrives again
        }
        if (moved.contains(d.message().id())) {
          // Dead-lettered again during this call: a new dead letter, for a later redrive. Handing it
          // back for the idle timeout keeps it from filling the receiver's in-flight limit.
          d.defer(idleTimeout);
          continue;
        }
        republish(d, moved.size());
        d.ack();
        moved.add(d.message().id());
        idleSince = System.nanoTime();
      }
    } finally {
      receiver.stopFetching();
      for (TransportDelivery extra; (extra = arrived.poll()) != null; ) {
        extra.release();
      }
      receiver.close();
    }
    return moved.size();
  }

  private void republish(TransportDelivery d, int movedSoFar) {
    Message dead = d.message();
    String destination = dead.headers().get(CourierHeaders.DLQ_SOURCE_TOPIC).orElse(sourceTopic);
    Message replay = dead.withHeaders(replayHeaders(dead.headers()));
    try {
      transport.naming().validateTopicOrDeadLetterTopic(destination);
      String violation = MessageValidator.violation(replay, transport.capabilities().brokerLimits());
      if (violation != null) {
        throw new PayloadTooLargeException("the redriven copy would have " + violation + ", over adapter '"
            + transport.name() + "' limits");
      }
      transport.send(destination, replay).get(publishTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      d.release();
      Thread.currentThread().interrupt();
      throw new PublishException("redrive of '" + topic + "' interrupted after " + movedSoFar + " messages", e);
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      d.release();
      Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
      throw new PublishException("redrive of '" + topic + "' stopped after " + movedSoFar
          + " messages: republishing message " + dead.id() + " to '" + destination + "' failed ("
          + cause.getMessage() + "); it stays in the dead-letter topic", cause);
    }
  }

  static Headers replayHeaders(Headers headers) {
    Headers result = headers;
    for (String name : headers.names()) {
      if (name.startsWith(CourierHeaders.DLQ_PREFIX)) {
        result = result.without(name);
      }
    }
    int count;
    try {
      count = Integer.parseInt(headers.get(CourierHeaders.REDRIVE_COUNT).orElse("0"));
    } catch (NumberFormatException e) {
      count = 0;
    }
    return result.with(CourierHeaders.REDRIVE_COUNT, Integer.toString(count + 1));
  }

  private void provision() {
    transport.ensureTopic(topic);
    transport.ensureGroup(topic, deadLetterGroup);
  }

  @Override
  public String toString() {
    return "DeadLetters{topic=" + topic + ", source=" + sourceTopic + "/" + group + '}';
  }
}
