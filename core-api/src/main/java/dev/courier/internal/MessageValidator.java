package dev.courier.internal;

import dev.courier.Capabilities;
import dev.courier.Headers;
import dev.courier.Message;
import dev.courier.MessageLimits;
import dev.courier.PayloadTooLargeException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;

/**
 * Checks a message an application publishes before any I/O: no header with a reserved name
 * ({@link Headers#isReserved}), and within the limits applications get ({@link Capabilities#limits()}).
 * The core's own sends (dead letters, redrive) may carry Courier's headers and are checked with
 * {@link #violation} against the broker's limits ({@link Capabilities#brokerLimits()}).
 */
public final class MessageValidator {
  private final Capabilities capabilities;
  private final String adapter;

  public MessageValidator(String adapter, Capabilities capabilities) {
    this.adapter = adapter;
    this.capabilities = capabilities;
  }

  public Message validate(Message message) {
    Objects.requireNonNull(message, "message");
    for (String name : message.headers().names()) {
      if (Headers.isReserved(name)) {
        throw new IllegalArgumentException("message " + message.id() + " has header '" + name
            + "', a reserved name: headers starting with '" + Headers.RESERVED_PREFIX + "' or '"
            + Headers.RESERVED_WIRE_PREFIX + "' are set only by Courier (remove them to republish a received message)");
      }
    }
    String violation = violation(message, capabilities.limits());
    if (violation != null) {
      throw new PayloadTooLargeException("message " + message.id() + " has " + violation + " for adapter '"
          + adapter + "' (its limits leave room for the headers Courier adds to dead letters)");
    }
    return message;
  }

  /**
   * What of {@code message} exceeds {@code limits}, as "a payload of N bytes (at most M)"; null if
   * it fits.
   */
  public static String violation(Message message, MessageLimits limits) {
    if (message.payloadSize() > limits.maxPayloadBytes()) {
      return "a payload of " + message.payloadSize() + " bytes (at most " + limits.maxPayloadBytes() + ")";
    }
    Headers headers = message.headers();
    if (headers.size() > limits.maxHeaders()) {
      return headers.size() + " headers (at most " + limits.maxHeaders() + ")";
    }
    if (headers.isEmpty()) {
      return null;
    }
    int bytes = headers.encodedSize();
    if (bytes > limits.maxHeaderBytes()) {
      return bytes + " bytes of headers (at most " + limits.maxHeaderBytes() + ")";
    }
    // No single value can be longer than all names and values together.
    for (Map.Entry<String, String> e : bytes <= limits.maxHeaderValueBytes() ? Map.<String, String>of().entrySet()
        : headers.asMap().entrySet()) {
      int value = e.getValue().getBytes(StandardCharsets.UTF_8).length;
      if (value > limits.maxHeaderValueBytes()) {
        return "a value of " + value + " bytes in header '" + e.getKey() + "' (at most "
            + limits.maxHeaderValueBytes() + ")";
      }
    }
    long total = (long) message.payloadSize() + bytes;
    if (total > limits.maxMessageBytes()) {
      return total + " bytes of payload and headers (at most " + limits.maxMessageBytes() + ")";
    }
    return null;
  }
}
