package dev.courier.internal;

import dev.courier.CourierHeaders;
import dev.courier.DeadLetterPolicy;
import dev.courier.Headers;
import dev.courier.Message;
import dev.courier.MessageLimits;
import dev.courier.PublishException;
import dev.courier.spi.Transport;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Republishes a failed message to a subscription's dead-letter topic and waits for the broker's
 * confirmation. Provisions the dead-letter topic and its durable group before the first publish,
 * because some brokers drop messages no group is subscribed to.
 */
public final class DeadLetterSender {
  /** Why a message was dead-lettered; the value of {@link CourierHeaders#DLQ_REASON}. */
  public enum Reason {
    EXHAUSTED("exhausted"), NON_RETRYABLE("non-retryable"), UNDECODABLE("undecodable");

    final String header;

    Reason(String header) {
      this.header = header;
    }
  }

  private final Transport transport;
  private final String sourceTopic;
  private final String group;
  private final String topic;
  private final String deadLetterGroup;
  private final int maxErrorMessageLength;
  private final Duration publishTimeout;
  private volatile boolean provisioned;

  public DeadLetterSender(Transport transport, String sourceTopic, String group, String deadLetterTopic,
      DeadLetterPolicy policy, Duration publishTimeout) {
    this.transport = transport;
    this.sourceTopic = sourceTopic;
    this.group = group;
    this.topic = deadLetterTopic;
    this.deadLetterGroup = transport.naming().deadLetterGroup();
    this.maxErrorMessageLength = policy.maxErrorMessageLength();
    this.publishTimeout = publishTimeout;
  }

  public String topic() {
    return topic;
  }

  /**
   * Publishes the dead-letter copy; returns only once the broker confirmed it.
   *
   * @throws PublishException if the copy exceeds the broker's limits, or provisioning or the publish
   *     failed or was not confirmed in time
   */
  public void send(Message original, int attempts, Instant firstFailure, Instant lastFailure,
      Throwable failure, Reason reason) {
    Message copy = deadLetterCopy(original, attempts, firstFailure, lastFailure, failure, reason);
    String violation = MessageValidator.violation(copy, transport.capabilities().brokerLimits());
    if (violation != null) {
      // Only a message Courier did not validate (another producer's) gets here: it is over the
      // limits applications get, so its copy is over the broker's.
      throw new PublishException("the dead letter of message " + original.id() + " would have " + violation
          + ", over adapter '" + transport.name() + "' limits; it was not sent");
    }
    try {
      provision();
      transport.send(topic, copy).get(publishTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PublishException("interrupted while dead-lettering message " + original.id() + " to '" + topic + "'", e);
    } catch (ExecutionException e) {
      Throwable cause = DefaultPublisher.unwrap(e.getCause() == null ? e : e.getCause());
      throw new PublishException("dead-lettering message " + original.id() + " to '" + topic + "' failed: "
          + cause.getMessage(), cause);
    } catch (TimeoutException e) {
      throw new PublishException("no confirmation for dead letter " + original.id() + " on '" + topic
          + "' within " + publishTimeout, e);
    } catch (PublishException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new PublishException("dead-lettering message " + original.id() + " to '" + topic + "' failed: "
          + e.getMessage(), e);
    }
  }

  private void provision() {
    if (!provisioned) {
      transport.ensureTopic(topic);
      transport.ensureGroup(topic, deadLetterGroup);
      provisioned = true;
    }
  }

  /**
   * The original's id, key, payload, timestamp and headers, plus the dead-letter headers, whose
   * long values are cut to the broker's limits: the exception class to
   * {@link CourierHeaders#MAX_EXCEPTION_CLASS_BYTES}, the exception message to the policy's length
   * and the room left (see {@link CourierHeaders#DLQ_EXCEPTION_MESSAGE}).
   */
  Message deadLetterCopy(Message original, int attempts, Instant firstFailure, Instant lastFailure,
      Throwable failure, Reason reason) {
    MessageLimits broker = transport.capabilities().brokerLimits();
    int valueBytes = broker.maxHeaderValueBytes();
    Headers headers = original.headers();
    for (String name : headers.names().toArray(String[]::new)) {
      if (name.startsWith(CourierHeaders.DLQ_PREFIX)) {
        headers = headers.without(name);
      }
    }
    String type = failure.getClass().getName();
    headers = headers
        .with(CourierHeaders.DLQ_SOURCE_TOPIC, sourceTopic)
        .with(CourierHeaders.DLQ_GROUP, group)
        .with(CourierHeaders.DLQ_ATTEMPTS, Integer.toString(attempts))
        .with(CourierHeaders.DLQ_FIRST_FAILURE, firstFailure.toString())
        .with(CourierHeaders.DLQ_LAST_FAILURE, lastFailure.toString())
        .with(CourierHeaders.DLQ_REASON, reason.header)
        .with(CourierHeaders.DLQ_EXCEPTION_CLASS,
            Utf8Text.bytes(type, Math.min(valueBytes, CourierHeaders.MAX_EXCEPTION_CLASS_BYTES)));
    int used = headers.encodedSize() + CourierHeaders.DLQ_EXCEPTION_MESSAGE.length();
    int room = Math.min(valueBytes, Math.min(broker.maxHeaderBytes() - used,
        (int) Math.min(Integer.MAX_VALUE, (long) broker.maxMessageBytes() - used - original.payloadSize())));
    String text = Utf8Text.chars(Utf8Text.clean(failure.getMessage()), maxErrorMessageLength);
    headers = headers.with(CourierHeaders.DLQ_EXCEPTION_MESSAGE, Utf8Text.bytes(text, Math.max(0, room)));
    return original.withHeaders(headers);
  }
}
