package dev.courier.pubsub.internal;

import dev.courier.spi.support.Payloads;
import com.google.protobuf.ByteString;
import com.google.pubsub.v1.PubsubMessage;
import dev.courier.Headers;
import dev.courier.Message;
import dev.courier.spi.Undecodable;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Maps a Courier {@link Message} to a {@link PubsubMessage} and back, within Pub/Sub's attribute
 * limits: id → attribute {@value #ID}, timestamp → {@value #TIMESTAMP} (epoch milliseconds), key →
 * the ordering key (attribute {@value #KEY} where Pub/Sub cannot carry it: empty, or over
 * {@value #MAX_ORDERING_KEY_BYTES} bytes), headers → attributes. A header that does not fit an
 * attribute (name over {@value #MAX_NAME_BYTES} bytes, value over {@value #MAX_VALUE_BYTES} bytes,
 * name starting with {@code goog} or the adapter's {@code x-courier-}, or beyond
 * {@value #MAX_ATTRIBUTES} attributes) is packed, never dropped: packed headers precede the payload
 * in the data, framed as a count then length-prefixed UTF-8 names and values, and attribute
 * {@value #PACKED} holds the frame's length. Messages without packed headers carry the payload alone,
 * so other clients read them as they are.
 */
public final class PubSubMessages {
  public static final String ID = "x-courier-id";
  public static final String TIMESTAMP = "x-courier-ts";
  public static final String KEY = "x-courier-key";
  public static final String PACKED = "x-courier-packed";
  static final String ADAPTER_PREFIX = "x-courier-";
  public static final int MAX_ATTRIBUTES = 100;
  public static final int MAX_NAME_BYTES = 256;
  public static final int MAX_VALUE_BYTES = 1024;
  public static final int MAX_ORDERING_KEY_BYTES = 1024;
  /** Attributes the adapter may add itself: id, timestamp, key, packed. */
  static final int OWN_ATTRIBUTES = 4;

  private PubSubMessages() {}

  /** The Pub/Sub message for {@code m}. */
  public static PubsubMessage toPubSub(Message m) {
    PubsubMessage.Builder b = PubsubMessage.newBuilder();
    Map<String, String> packed = new LinkedHashMap<>();
    int native_ = 0;
    for (Map.Entry<String, String> e : m.headers().asMap().entrySet()) {
      if (native_ < MAX_ATTRIBUTES - OWN_ATTRIBUTES && fitsAttribute(e.getKey(), e.getValue())) {
        b.putAttributes(e.getKey(), e.getValue());
        native_++;
      } else {
        packed.put(e.getKey(), e.getValue());
      }
    }
    if (utf8Length(m.id()) <= MAX_VALUE_BYTES) {
      b.putAttributes(ID, m.id());
    } else {
      packed.put(ID, m.id());
    }
    b.putAttributes(TIMESTAMP, Long.toString(m.timestamp().toEpochMilli()));
    m.key().ifPresent(k -> {
      if (!k.isEmpty() && utf8Length(k) <= MAX_ORDERING_KEY_BYTES) {
        b.setOrderingKey(k);
      } else if (utf8Length(k) <= MAX_VALUE_BYTES) {
        b.putAttributes(KEY, k);
      } else {
        packed.put(KEY, k);
      }
    });
    if (packed.isEmpty()) {
      b.setData(ByteString.copyFrom(m.payloadBuffer()));
    } else {
      byte[] frame = pack(packed);
      b.putAttributes(PACKED, Integer.toString(frame.length));
      b.setData(ByteString.copyFrom(frame).concat(ByteString.copyFrom(m.payloadBuffer())));
    }
    return b.build();
  }

  /**
   * The Courier message in {@code pm}; a message from another producer (no {@value #ID}) gets
   * Pub/Sub's message id and publish time.
   *
   * @throws IllegalArgumentException if it cannot be mapped (bad packed frame, invalid id or header)
   */
  public static Message fromPubSub(PubsubMessage pm) {
    Map<String, String> attributes = pm.getAttributesMap();
    byte[] data = pm.getData().toByteArray();
    Map<String, String> headers = new LinkedHashMap<>();
    String key = pm.getOrderingKey().isEmpty() ? attributes.get(KEY) : pm.getOrderingKey();
    for (Map.Entry<String, String> e : attributes.entrySet()) {
      if (!e.getKey().startsWith(ADAPTER_PREFIX)) {
        headers.put(e.getKey(), e.getValue());
      }
    }
    String packedLength = attributes.get(PACKED);
    byte[] payload = data;
    if (packedLength != null) {
      int n = parseLength(packedLength, data.length);
      Map<String, String> packed = unpack(data, n);
      String packedKey = packed.remove(KEY);
      if (packedKey != null) {
        key = packedKey;
      }
      String packedId = packed.remove(ID);
      if (packedId != null) {
        attributes = new LinkedHashMap<>(attributes);
        attributes.put(ID, packedId);
      }
      headers.putAll(packed);
      payload = java.util.Arrays.copyOfRange(data, n, data.length);
    }
    String id = attributes.getOrDefault(ID, pm.getMessageId());
    Instant timestamp = attributes.containsKey(TIMESTAMP)
        ? Instant.ofEpochMilli(parseMillis(attributes.get(TIMESTAMP)))
        : Instant.ofEpochSecond(pm.getPublishTime().getSeconds(), pm.getPublishTime().getNanos());
    Message.Builder b = Payloads.adopt(Message.builder(), payload).id(id).timestamp(timestamp).headers(Headers.of(headers));
    if (key != null) {
      b.key(key);
    }
    return b.build();
  }

  /** Whether a header can travel as an attribute of its own. */
  static boolean fitsAttribute(String name, String value) {
    return !name.isEmpty() && !name.startsWith("goog") && !name.startsWith(ADAPTER_PREFIX)
        && utf8Length(name) <= MAX_NAME_BYTES && utf8Length(value) <= MAX_VALUE_BYTES;
  }

  static byte[] pack(Map<String, String> headers) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(headers.size());
      for (Map.Entry<String, String> e : headers.entrySet()) {
        writeString(out, e.getKey());
        writeString(out, e.getValue());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
    }
    return bytes.toByteArray();
  }

  static Map<String, String> unpack(byte[] data, int length) {
    Map<String, String> headers = new LinkedHashMap<>();
    try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(data, 0, length))) {
      int count = in.readInt();
      if (count < 0 || count > length / 8) {
        throw new IllegalArgumentException("packed headers: bad count " + count);
      }
      for (int i = 0; i < count; i++) {
        headers.put(readString(in, length), readString(in, length));
      }
      if (in.available() != 0) {
        throw new IllegalArgumentException("packed headers: " + in.available() + " bytes left over");
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("packed headers: truncated frame (" + length + " bytes)", e);
    }
    return headers;
  }

  private static void writeString(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  private static String readString(DataInputStream in, int max) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > max) {
      throw new IllegalArgumentException("packed headers: bad length " + n);
    }
    byte[] b = new byte[n];
    in.readFully(b);
    return Undecodable.utf8(b, "a packed header");
  }

  private static int parseLength(String text, int dataLength) {
    try {
      int n = Integer.parseInt(text);
      if (n < 4 || n > dataLength) {
        throw new IllegalArgumentException(PACKED + " is " + n + ", outside the data's " + dataLength + " bytes");
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(PACKED + " is not a number", e);
    }
  }

  private static long parseMillis(String text) {
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(TIMESTAMP + " is not a number", e);
    }
  }

  static int utf8Length(String s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n++;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c)) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }
}
