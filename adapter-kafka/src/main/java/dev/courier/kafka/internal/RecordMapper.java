package dev.courier.kafka.internal;

import dev.courier.spi.support.Payloads;
import dev.courier.Headers;
import dev.courier.Message;
import dev.courier.spi.Undecodable;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Maps messages to Kafka records and back: key and header values as UTF-8, payload as value, the id
 * in the {@value #ID} header (written and read first: a second one cannot replace it). The
 * adapter's own headers are taken out on the way in, so they never reach a handler or a dead letter.
 */
public final class RecordMapper {
  /** The message id. */
  public static final String ID = "courier-id";
  /** On a redelivery: how many times the group has had the message, this one included. */
  public static final String DELIVERY_COUNT = "courier-delivery-count";
  /** On a redelivery: when it is due, epoch milliseconds. */
  public static final String DUE = "courier-due";

  /** On a redelivery: its Kafka group (two (topic, group) pairs can map to one delay topic name). */
  public static final String DELAY_GROUP = "courier-delay-group";

  /** On a delayed publish (a record of the topic itself): when it is due, epoch milliseconds. */
  public static final String PUBLISH_DUE = "courier-publish-due";

  /** On a copy, written later than its message: the message's own timestamp, epoch ms, which wins on the way in. */
  public static final String TIMESTAMP = "courier-timestamp";

  /** The adapter's own headers besides the id: taken out on the way in. */
  private static final Set<String> OWN_HEADERS = Set.of(DELIVERY_COUNT, DUE, DELAY_GROUP, PUBLISH_DUE, TIMESTAMP);
  /** What {@link Character#isISOControl} accepts: C0, DEL and C1. */
  private static final Pattern CONTROL = Pattern.compile("[\\x00-\\x1F\\x7F-\\x9F]");

  /** Record overhead besides key, value and headers, generously: batch header plus record framing. */
  static final int RECORD_OVERHEAD = 128;

  /** What a delayed publish adds to its record, at most: the due time. */
  public static final int DELAYED_OVERHEAD = 10 + PUBLISH_DUE.length() + 20;

  private RecordMapper() {}

  public static ProducerRecord<byte[], byte[]> toRecord(String topic, Integer partition, Message m) {
    RecordHeaders headers = new RecordHeaders();
    headers.add(ID, m.id().getBytes(StandardCharsets.UTF_8));
    for (Map.Entry<String, String> e : m.headers().asMap().entrySet()) {
      if (!e.getKey().equals(TIMESTAMP) && !e.getKey().equals(ID) && !e.getKey().equals(PUBLISH_DUE)) {
        headers.add(e.getKey(), e.getValue().getBytes(StandardCharsets.UTF_8));
      }
    }
    byte[] key = m.key().map(k -> k.getBytes(StandardCharsets.UTF_8)).orElse(null);
    return new ProducerRecord<>(topic, partition, m.timestamp().toEpochMilli(), key, Payloads.shared(m), headers);
  }

  /** {@code record}, a record of {@code m} as {@link #toRecord} maps it, as a delayed publish due at {@code dueMillis}. */
  public static ProducerRecord<byte[], byte[]> delayed(ProducerRecord<byte[], byte[]> record, long dueMillis) {
    record.headers().add(PUBLISH_DUE, Long.toString(dueMillis).getBytes(StandardCharsets.UTF_8));
    return record;
  }

  /** Bytes the record takes in a batch, at most: what the broker's message.max.bytes bounds. */
  public static int estimatedSize(Message m) {
    int size = RECORD_OVERHEAD + m.payloadSize() + 10 + ID.length() + m.id().length() * 3;
    size += m.key().map(k -> k.getBytes(StandardCharsets.UTF_8).length).orElse(0);
    size += m.headers().encodedSize() + 10 * m.headers().size();
    return size;
  }

  /** The record of {@code source} redelivered through {@code delayTopic}: same key, value and headers, written now. */
  public static ProducerRecord<byte[], byte[]> toRedelivery(ConsumerRecord<byte[], byte[]> source,
      String delayTopic, Integer partition, int deliveryCount, long dueMillis, String groupId) {
    RecordHeaders headers = new RecordHeaders();
    source.headers().forEach(h -> {
      if (!OWN_HEADERS.contains(h.key())) {
        headers.add(h);
      }
    });
    headers.add(TIMESTAMP, Long.toString(messageTimestamp(source)).getBytes(StandardCharsets.UTF_8));
    headers.add(DELAY_GROUP, groupId.getBytes(StandardCharsets.UTF_8));
    headers.add(DELIVERY_COUNT, Integer.toString(deliveryCount).getBytes(StandardCharsets.UTF_8));
    headers.add(DUE, Long.toString(dueMillis).getBytes(StandardCharsets.UTF_8));
    return new ProducerRecord<>(delayTopic, partition, System.currentTimeMillis(), source.key(), source.value(), headers);
  }

  /** A consumed record as Courier sees it: its message, and why it is undecodable (null if it is not). */
  public record Decoded(Message message, Undecodable undecodable) {}

  /**
   * The message of a consumed record; never throws. Without an id it gets
   * {@code kafka-<topic>-<partition>-<offset>} (stable across redeliveries); key control characters
   * are escaped. A record Courier cannot carry faithfully (bad id, header name or UTF-8) is
   * {@link Undecodable}: its raw value, broker id {@code kafka:<topic>-<partition>@<offset>}.
   */
  public static Decoded decode(ConsumerRecord<byte[], byte[]> r) {
    String fallbackId = "kafka-" + r.topic() + "-" + r.partition() + "-" + r.offset();
    try {
      return new Decoded(strict(r, fallbackId), null);
    } catch (IllegalArgumentException e) {
      Undecodable u = new Undecodable(e.getMessage() == null ? e.toString() : e.getMessage(),
          "kafka:" + r.topic() + "-" + r.partition() + "@" + r.offset());
      return new Decoded(u.message(r.value(), fallbackId), u);
    }
  }

  private static Message strict(ConsumerRecord<byte[], byte[]> r, String fallbackId) {
    String id = null;
    Map<String, String> headers = new LinkedHashMap<>();
    for (Header h : r.headers()) {
      String name = h.key();
      if (name.equals(ID)) {
        if (id == null && h.value() != null) {
          id = Undecodable.utf8(h.value(), "the " + ID + " header");
        }
      } else if (!OWN_HEADERS.contains(name)) {
        headers.put(name, h.value() == null ? "" : Undecodable.utf8(h.value(), "the value of header '" + name + "'"));
      }
    }
    Message.Builder b = Payloads.adopt(Message.builder(), r.value() == null ? new byte[0] : r.value())
        .headers(Headers.of(headers))
        .timestamp(Instant.ofEpochMilli(Math.max(0, messageTimestamp(r))))
        .id(id != null ? id : fallbackId);
    if (r.key() != null && r.key().length > 0) {
      b.key(escapeControls(new String(r.key(), StandardCharsets.UTF_8)));
    }
    return b.build();
  }

  /** The delivery count a record carries; 1 for a first delivery. */
  public static int deliveryCount(ConsumerRecord<byte[], byte[]> r) {
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, longHeader(r, DELIVERY_COUNT, 1)));
  }

  /** The message's own timestamp (epoch ms): a copy's header, else the record's. */
  public static long messageTimestamp(ConsumerRecord<byte[], byte[]> r) {
    return longHeader(r, TIMESTAMP, r.timestamp());
  }

  /** When a redelivery is due (epoch ms); 0 for a record without a due time. */
  public static long due(ConsumerRecord<byte[], byte[]> r) {
    return longHeader(r, DUE, 0);
  }

  /** When a delayed publish is due (epoch ms); 0 for a record published without a delay. */
  public static long publishDue(ConsumerRecord<byte[], byte[]> r) {
    return longHeader(r, PUBLISH_DUE, 0);
  }

  /** Whether a delay-topic record belongs to {@code groupId}: it names it, or no group (written by older versions). */
  public static boolean isForGroup(ConsumerRecord<byte[], byte[]> r, String groupId) {
    Header h = r.headers().lastHeader(DELAY_GROUP);
    return h == null || h.value() == null || groupId.equals(new String(h.value(), StandardCharsets.UTF_8));
  }

  private static long longHeader(ConsumerRecord<byte[], byte[]> r, String name, long fallback) {
    Header h = r.headers().lastHeader(name);
    if (h == null || h.value() == null) {
      return fallback;
    }
    try {
      return Long.parseLong(new String(h.value(), StandardCharsets.UTF_8));
    } catch (NumberFormatException e) {
      return fallback;
    }
  }

  /** {@code s} with each control character as {@code \\uXXXX}, so it can be logged safely. */
  static String escapeControls(String s) {
    if (s.chars().noneMatch(Character::isISOControl)) {
      return s; // the usual case, without a Matcher per key
    }
    return CONTROL.matcher(s).replaceAll(m -> String.format("\\\\u%04x", (int) m.group().charAt(0)));
  }
}
