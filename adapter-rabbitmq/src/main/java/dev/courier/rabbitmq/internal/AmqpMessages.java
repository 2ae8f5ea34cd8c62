package dev.courier.rabbitmq.internal;

import dev.courier.spi.support.Payloads;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.LongString;
import dev.courier.Headers;
import dev.courier.Message;
import dev.courier.spi.Undecodable;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Maps a Courier {@link Message} to AMQP properties and back: id → message-id, key → header
 * {@value #KEY}, timestamp → timestamp (seconds) plus {@value #TIMESTAMP} (milliseconds) unless the
 * id implies the milliseconds (a UUIDv7 id of that instant, as Courier makes them; then app-id
 * {@value #IMPLIED_TIMESTAMP_APP_ID} says so), headers →
 * AMQP headers (UTF-8), persistent delivery mode. Headers the broker or the adapter adds
 * ({@code x-delivery-count}, {@code x-death}, {@code x-courier-*}) are not application headers:
 * a message header of such a name is not written (the core refuses to publish one anyway), so it
 * cannot pose as the key, timestamp or delivery count.
 */
public final class AmqpMessages {
  /** The message's key. */
  public static final String KEY = "x-courier-key";
  /** The message's timestamp in epoch milliseconds. */
  public static final String TIMESTAMP = "x-courier-timestamp";
  /** Deliveries before the message was republished into a delay queue (the broker's count restarts). */
  public static final String PRIOR_DELIVERIES = "x-courier-deliveries";
  /** Publish sequence number, to match a returned (unroutable) message to its publish. */
  public static final String SEQ = "x-courier-seq";
  /** The quorum queue's count of earlier returns of this message. */
  public static final String DELIVERY_COUNT = "x-delivery-count";
  /**
   * The app-id of a message that travels without {@value #TIMESTAMP} because its UUIDv7 id implies
   * its timestamp: only then is the timestamp read back from the id (a foreign message with such an
   * id keeps the whole seconds its publisher set).
   */
  static final String IMPLIED_TIMESTAMP_APP_ID = "courier";

  private AmqpMessages() {}

  /**
   * Properties for a new publish; a positive {@code seq} identifies it on this channel for returns
   * (0: none, the channel matches a return by message id). A message with no headers, no key and
   * the timestamp its id implies (see {@link #impliedMillis}) carries no headers table at all,
   * which the broker would otherwise decode for every message.
   */
  public static AMQP.BasicProperties properties(Message m, long seq) {
    Headers h = m.headers();
    long millis = m.timestamp().toEpochMilli();
    boolean implied = millis >= 0 && millis == impliedMillis(m.id());
    Map<String, Object> headers = null;
    if (!h.isEmpty() || m.key().isPresent() || seq > 0 || !implied) {
      headers = new HashMap<>(h.size() + 4);
      for (Map.Entry<String, String> e : h.asMap().entrySet()) {
        if (!isBrokerOrAdapterHeader(e.getKey())) {
          headers.put(e.getKey(), e.getValue());
        }
      }
      if (m.key().isPresent()) {
        headers.put(KEY, m.key().get());
      }
      headers.put(TIMESTAMP, millis);
      if (seq > 0) {
        headers.put(SEQ, seq);
      }
    }
    return new AMQP.BasicProperties.Builder()
        .messageId(m.id())
        .deliveryMode(2)
        .timestamp(new Date(millis))
        .headers(headers)
        .appId(headers == null ? IMPLIED_TIMESTAMP_APP_ID : null)
        .build();
  }

  /**
   * The epoch milliseconds a time-ordered id (UUID version 7, as Courier makes them) carries in its
   * first 48 bits, or -1 for any other id. A message whose timestamp is that instant travels
   * without {@value #TIMESTAMP} and with app-id {@value #IMPLIED_TIMESTAMP_APP_ID}; the receiving
   * side reads the milliseconds back from the id of such a message when the AMQP timestamp (whole
   * seconds) agrees with them.
   */
  static long impliedMillis(String id) {
    if (id == null || id.length() != 36 || id.charAt(8) != '-' || id.charAt(13) != '-' || id.charAt(14) != '7'
        || id.charAt(18) != '-' || id.charAt(23) != '-' || "89abAB".indexOf(id.charAt(19)) < 0) {
      return -1;
    }
    long millis = 0;
    for (int i = 0; i < 13; i++) {
      if (i == 8) {
        continue;
      }
      int digit = Character.digit(id.charAt(i), 16);
      if (digit < 0) {
        return -1;
      }
      millis = (millis << 4) | digit;
    }
    return millis;
  }

  /**
   * Properties of a delivered message to republish into a delay queue: the same message with its
   * delivery count so far, a new sequence number and a per-message expiration.
   */
  public static AMQP.BasicProperties forDelay(AMQP.BasicProperties original, int deliveriesSoFar, long seq,
      Long expirationMillis) {
    Map<String, Object> headers = new HashMap<>();
    if (original.getHeaders() != null) {
      headers.putAll(original.getHeaders());
    }
    headers.remove(DELIVERY_COUNT);
    headers.remove("x-death");
    headers.remove("x-first-death-exchange");
    headers.remove("x-first-death-queue");
    headers.remove("x-first-death-reason");
    headers.remove("x-last-death-exchange");
    headers.remove("x-last-death-queue");
    headers.remove("x-last-death-reason");
    headers.put(PRIOR_DELIVERIES, deliveriesSoFar);
    headers.put(SEQ, seq);
    return original.builder()
        .userId(null) // the broker refuses a user-id other than the publishing connection's
        .deliveryMode(2)
        .headers(headers)
        .expiration(expirationMillis == null ? null : Long.toString(expirationMillis))
        .build();
  }

  /**
   * The Courier message of a delivery. Foreign messages without an id get a new one. An entry
   * Courier cannot carry faithfully (an id or header name with control characters, a header value
   * that is not UTF-8) throws an IllegalArgumentException saying what is wrong: the receiver hands
   * it over as {@link dev.courier.spi.Undecodable}.
   */
  public static Message message(AMQP.BasicProperties props, byte[] body) {
    Message.Builder b = Payloads.adopt(Message.builder(), body);
    if (props.getMessageId() != null && !props.getMessageId().isBlank()) {
      b.id(props.getMessageId());
    }
    Map<String, Object> headers = props.getHeaders();
    Long millis = null;
    if (headers != null && !headers.isEmpty()) {
      Map<String, String> app = new LinkedHashMap<>();
      for (Map.Entry<String, Object> e : headers.entrySet()) {
        String name = e.getKey();
        Object value = e.getValue();
        if (name.startsWith("x-")) {
          if (name.equals(KEY) && value != null) {
            try {
              b.key(text(name, value));
              continue;
            } catch (IllegalArgumentException refused) {
              // a foreign key Courier refuses: kept as a plain header
            }
          }
          if (name.equals(TIMESTAMP) && value instanceof Number n) {
            millis = n.longValue();
            continue;
          }
          if (isBrokerOrAdapterHeader(name)) {
            continue;
          }
        }
        if (value != null) {
          app.put(name, text(name, value));
        }
      }
      if (!app.isEmpty()) {
        b.headers(Headers.of(app));
      }
    }
    if (millis != null) {
      b.timestamp(Instant.ofEpochMilli(millis));
    } else if (props.getTimestamp() != null) {
      long seconds = Math.floorDiv(props.getTimestamp().getTime(), 1000);
      long implied = IMPLIED_TIMESTAMP_APP_ID.equals(props.getAppId()) ? impliedMillis(props.getMessageId()) : -1;
      b.timestamp(implied >= 0 && implied / 1000 == seconds ? Instant.ofEpochMilli(implied)
          : props.getTimestamp().toInstant());
    }
    return b.build();
  }

  /** How many times this message was delivered to its group, this delivery included. */
  public static int deliveryCount(AMQP.BasicProperties props, boolean redelivered) {
    Map<String, Object> headers = props.getHeaders();
    int prior = 0;
    int returns = -1;
    if (headers != null) {
      if (headers.get(PRIOR_DELIVERIES) instanceof Number n) {
        prior = n.intValue();
      }
      if (headers.get(DELIVERY_COUNT) instanceof Number n) {
        returns = n.intValue();
      }
    }
    if (returns < 0) {
      returns = redelivered ? 1 : 0; // classic queues only flag a redelivery
    }
    return Math.max(1, prior + returns + 1);
  }

  private static boolean isBrokerOrAdapterHeader(String name) {
    return name.startsWith("x-courier-") || name.equals(DELIVERY_COUNT) || name.equals("x-death")
        || name.startsWith("x-first-death-") || name.startsWith("x-last-death-")
        || name.equals("x-received-from");
  }

  /** The delivery's message-id if Courier can use it as an id, else null. */
  public static String usableId(AMQP.BasicProperties props) {
    String id = props.getMessageId();
    return id == null || id.isBlank() || id.codePoints().anyMatch(Character::isISOControl) ? null : id;
  }

  private static String text(String name, Object value) {
    if (value instanceof LongString ls) {
      return Undecodable.utf8(ls.getBytes(), "the value of header '" + name + "'");
    }
    if (value instanceof byte[] bytes) {
      return Undecodable.utf8(bytes, "the value of header '" + name + "'");
    }
    return value.toString();
  }
}
