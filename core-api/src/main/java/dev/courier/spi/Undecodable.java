package dev.courier.spi;

import dev.courier.CourierHeaders;
import dev.courier.Message;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Why an adapter could not map a broker entry to a Courier {@link Message} (a foreign producer's
 * invalid id, a header name with control characters, a header value that is not UTF-8), and the
 * broker's own id of the entry. The one path for such entries: the adapter still delivers them, as
 * a {@link TransportDelivery} whose {@link TransportDelivery#undecodable()} is this and whose
 * message is {@link #message}; the core dead-letters it at once as {@code undecodable}, without
 * calling the handler, so it is neither dropped nor blocks the group.
 *
 * @param reason what was wrong, control characters shown as '?'
 * @param brokerId the broker's id of the entry (Kafka {@code kafka:<topic>-<partition>@<offset>},
 *     RabbitMQ {@code rabbitmq:<queue>#<delivery tag>} and its message-id), control characters shown as '?'
 */
public record Undecodable(String reason, String brokerId) {
  public Undecodable {
    reason = printable(Objects.requireNonNull(reason, "reason"));
    brokerId = printable(Objects.requireNonNull(brokerId, "brokerId"));
  }

  /**
   * The message an undecodable delivery carries: the raw payload, under {@code id} (null: a new
   * one), with {@link CourierHeaders#BROKER_ID} and nothing else from the entry.
   */
  public Message message(byte[] payload, String id) {
    Message.Builder b = Message.builder().payload(payload == null ? new byte[0] : payload)
        .header(CourierHeaders.BROKER_ID, brokerId);
    if (id != null) {
      b.id(id);
    }
    return b.build();
  }

  /**
   * {@code bytes} as UTF-8, strictly: for adapters mapping broker entries.
   *
   * @throws IllegalArgumentException naming {@code what} if the bytes are not UTF-8
   */
  public static String utf8(byte[] bytes, String what) {
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException(printable(what) + " is not UTF-8 (" + bytes.length + " bytes)", e);
    }
  }

  /** {@code s} with every control character shown as '?', safe for headers and log lines. */
  public static String printable(String s) {
    StringBuilder b = new StringBuilder(s.length());
    s.codePoints().forEach(c -> b.appendCodePoint(Character.isISOControl(c) ? '?' : c));
    return b.toString();
  }
}
