package dev.courier.spi.support;

import dev.courier.Message;
import dev.courier.internal.MessageAccess;

/**
 * A message's payload bytes for an adapter, without the copies {@link Message#payload()} and
 * {@link Message.Builder#payload(byte[])} make to keep messages immutable for applications. For
 * handing the bytes to a broker client that only reads them (a producer record, an AMQP publish)
 * and for building a received message from an array nobody else holds; the caller must never
 * change either array. For adapters only: an application that changes such an array changes a
 * message every other holder takes for immutable (a publish in flight, a retry, a dead letter).
 */
public final class Payloads {
  private Payloads() {}

  /** The message's own payload array: read it, never change it. */
  public static byte[] shared(Message message) {
    return MessageAccess.get().payload(message);
  }

  /** Sets {@code payload} as the builder's payload without copying it: nothing may change it afterwards. */
  public static Message.Builder adopt(Message.Builder builder, byte[] payload) {
    return MessageAccess.get().adoptPayload(builder, payload);
  }
}
