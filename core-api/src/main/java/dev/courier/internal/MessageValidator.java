package dev.courier.internal;

import dev.courier.Capabilities;
import dev.courier.Message;
import dev.courier.PayloadTooLargeException;
import java.util.Objects;

/** Checks a message against an adapter's limits before any I/O. */
public final class MessageValidator {
  private final Capabilities capabilities;
  private final String adapter;

  public MessageValidator(String adapter, Capabilities capabilities) {
    this.adapter = adapter;
    this.capabilities = capabilities;
  }

  public Message validate(Message message) {
    Objects.requireNonNull(message, "message");
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
