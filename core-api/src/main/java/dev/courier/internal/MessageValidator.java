package dev.courier.internal;

import dev.courier.Capabilities;
import dev.courier.Headers;
import dev.courier.Message;
import dev.courier.PayloadTooLargeException;
import java.util.Objects;

/**
 * Checks a message an application publishes before any I/O: no header with a reserved name
 * ({@link Headers#isReserved}), and within the adapter's limits. The core's own sends (dead
 * letters, redrive) go to the transport directly and may carry Courier's headers.
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
    if (message.payloadSize() > capabilities.maxPayloadBytes()) {
      throw new PayloadTooLargeException("message " + message.id() + " has a payload of "
          + message.payloadSize() + " bytes; adapter '" + adapter + "' accepts at most "
          + capabilities.maxPayloadBytes());
    }
    if (message.headers().size() > capabilities.maxHeaders()) {
      throw new PayloadTooLargeException("message " + message.id() + " has "
          + message.headers().size() + " headers; adapter '" + adapter + "' accepts at most "
          + capabilities.maxHeaders());
    }
    if (!message.headers().isEmpty()) {
      int bytes = message.headers().encodedSize();
      if (bytes > capabilities.maxHeaderBytes()) {
        throw new PayloadTooLargeException("message " + message.id() + " has " + bytes
            + " bytes of headers; adapter '" + adapter + "' accepts at most "
            + capabilities.maxHeaderBytes());
      }
    }
    return message;
  }
}
