package dev.courier.sqs.internal;

import dev.courier.spi.support.Payloads;
import dev.courier.Headers;
import dev.courier.Message;
import dev.courier.spi.Undecodable;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;

/**
 * How a Courier {@link Message} travels as an SQS message, both ways. Pure; no I/O.
 *
 * <p>SQS carries at most 10 message attributes, with restricted names and values. Headers that fit
 * (a valid attribute name, a non-empty value of characters SQS accepts) travel natively, W3C
 * {@code traceparent} and {@code tracestate} first, up to {@value #NATIVE_SLOTS}; everything else
 * goes into the one binary attribute {@value #ATTRIBUTE}, with the id, key, timestamp and the
 * adapter's own fields (delivery counts of earlier copies, a delayed publish's due time). No header
 * is ever dropped. The body is the payload as text where it is valid UTF-8 of characters SQS
 * accepts; otherwise Base64, flagged in {@value #ATTRIBUTE}.
 */
public final class WireFormat {
  /** The binary attribute holding Courier's own fields and the headers that are not native. */
  public static final String ATTRIBUTE = "courier";
  /** Native header attributes: SQS's 10 less {@value #ATTRIBUTE}. */
  public static final int NATIVE_SLOTS = 9;
  /** Bytes the {@value #ATTRIBUTE} attribute adds beyond the id, key and packed headers. */
  public static final int FIXED_OVERHEAD = 64;

  private static final byte VERSION = 1;
  private static final int BASE64 = 1;
  private static final int EMPTY = 2;
  private static final int HAS_KEY = 4;
  private static final Pattern ATTRIBUTE_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,256}");
  private static final List<String> NATIVE_FIRST = List.of("traceparent", "tracestate");

  private WireFormat() {}

  /**
   * The adapter's fields of one copy of a message: {@code prior} deliveries counted before this
   * copy was sent (SQS counts receives per copy), and the due time of a delayed publish longer than
   * SQS delays (epoch milliseconds; 0 for none).
   */
  public record Meta(int prior, long dueMillis) {
    public static final Meta NONE = new Meta(0, 0);
  }

  /** An SQS message to send: its body, attributes and size as SQS counts it. */
  public record Outgoing(String body, Map<String, MessageAttributeValue> attributes, int bytes) {}

  /** What a received SQS message is to Courier. {@code undecodable} is null for a good one. */
  public record Incoming(Message message, Meta meta, Undecodable undecodable) {}

  public static Outgoing encode(Message m, Meta meta) {
    byte[] payload = Payloads.shared(m); // only read
    int flags = 0;
    String body;
    if (payload.length == 0) {
      flags |= EMPTY;
      body = "-";
    } else {
      String text = textOrNull(payload);
      if (text != null) {
        body = text;
      } else {
        flags |= BASE64;
        body = Base64.getEncoder().encodeToString(payload);
      }
    }
    Map<String, MessageAttributeValue> attributes = new LinkedHashMap<>();
    Map<String, String> packed = new LinkedHashMap<>();
    Map<String, String> headers = m.headers().asMap();
    List<String> order = new ArrayList<>(headers.size());
    NATIVE_FIRST.stream().filter(headers::containsKey).forEach(order::add);
    headers.keySet().stream().filter(n -> !NATIVE_FIRST.contains(n)).forEach(order::add);
    int bytes = body.getBytes(StandardCharsets.UTF_8).length;
    for (String name : order) {
      String value = headers.get(name);
      if (attributes.size() < NATIVE_SLOTS && nativeName(name) && nativeValue(value)) {
        attributes.put(name, MessageAttributeValue.builder().dataType("String").stringValue(value).build());
        bytes += utf8(name) + "String".length() + utf8(value);
      } else {
        packed.put(name, value);
      }
    }
    if (m.key().isPresent()) {
      flags |= HAS_KEY;
    }
    byte[] own = pack(flags, m, meta, packed);
    attributes.put(ATTRIBUTE, MessageAttributeValue.builder().dataType("Binary")
        .binaryValue(SdkBytes.fromByteArrayUnsafe(own)).build());
    // Counted as Base64, as sent: SQS counts the bytes, fauxqs the text; this fits both.
    bytes += ATTRIBUTE.length() + "Binary".length() + 4 * ((own.length + 2) / 3);
    return new Outgoing(body, attributes, bytes);
  }

  /**
   * Maps a received SQS message. One without {@value #ATTRIBUTE} (another producer's) gets the SQS
   * message id, the body as payload and its String and Number attributes as headers; one that cannot
   * be mapped comes back {@link Incoming#undecodable() undecodable}.
   */
  public static Incoming decode(String queue, String sqsMessageId, String body,
      Map<String, MessageAttributeValue> attributes, long sentMillis) {
    String brokerId = "sqs:" + queue + "#" + sqsMessageId;
    byte[] bodyBytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
    try {
      MessageAttributeValue own = attributes.get(ATTRIBUTE);
      Message.Builder b = Message.builder();
      Meta meta = Meta.NONE;
      Map<String, String> headers = new LinkedHashMap<>();
      for (Map.Entry<String, MessageAttributeValue> e : attributes.entrySet()) {
        if (e.getKey().equals(ATTRIBUTE)) {
          continue;
        }
        MessageAttributeValue v = e.getValue();
        if (v.stringValue() == null) {
          throw new IllegalArgumentException("attribute '" + e.getKey() + "' is binary");
        }
        headers.put(e.getKey(), v.stringValue());
      }
      if (own == null || own.binaryValue() == null) {
        Payloads.adopt(b.id(sqsMessageId), bodyBytes);
        if (sentMillis > 0) {
          b.timestamp(Instant.ofEpochMilli(sentMillis));
        }
      } else {
        DataInputStream in = new DataInputStream(own.binaryValue().asInputStream());
        if (in.readByte() != VERSION) {
          throw new IllegalArgumentException("attribute 'courier' has an unknown version");
        }
        int flags = in.readUnsignedByte();
        b.id(readString(in));
        if ((flags & HAS_KEY) != 0) {
          b.key(readString(in));
        }
        b.timestamp(Instant.ofEpochSecond(in.readLong(), in.readInt()));
        meta = new Meta(in.readInt(), in.readLong());
        int n = in.readInt();
        for (int i = 0; i < n; i++) {
          headers.put(readString(in), readString(in));
        }
        byte[] payload = (flags & EMPTY) != 0 ? new byte[0]
            : (flags & BASE64) != 0 ? Base64.getDecoder().decode(body) : bodyBytes;
        Payloads.adopt(b, payload);
      }
      return new Incoming(b.headers(Headers.of(headers)).build(), meta, null);
    } catch (IOException | RuntimeException e) {
      Undecodable u = new Undecodable(e instanceof EOFException ? "attribute 'courier' is truncated"
          : String.valueOf(e.getMessage()), brokerId);
      return new Incoming(u.message(bodyBytes, null), Meta.NONE, u);
    }
  }

  private static byte[] pack(int flags, Message m, Meta meta, Map<String, String> packed) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(FIXED_OVERHEAD + m.id().length() * 2);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(VERSION);
      out.writeByte(flags);
      writeString(out, m.id());
      if (m.key().isPresent()) {
        writeString(out, m.key().get());
      }
      out.writeLong(m.timestamp().getEpochSecond());
      out.writeInt(m.timestamp().getNano());
      out.writeInt(meta.prior());
      out.writeLong(meta.dueMillis());
      out.writeInt(packed.size());
      for (Map.Entry<String, String> e : packed.entrySet()) {
        writeString(out, e.getKey());
        writeString(out, e.getValue());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private static void writeString(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  private static String readString(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > 16 * 1024 * 1024) {
      throw new IllegalArgumentException("attribute 'courier' holds a string of " + n + " bytes");
    }
    byte[] b = in.readNBytes(n);
    if (b.length != n) {
      throw new EOFException();
    }
    return Undecodable.utf8(b, "a string in attribute 'courier'");
  }

  /** Whether {@code name} is a valid SQS attribute name Courier may use for a header. */
  static boolean nativeName(String name) {
    String lower = name.toLowerCase(java.util.Locale.ROOT);
    return ATTRIBUTE_NAME.matcher(name).matches() && !name.startsWith(".") && !name.endsWith(".")
        && !name.contains("..") && !lower.startsWith("aws.") && !lower.startsWith("amazon.")
        && !name.equals(ATTRIBUTE);
  }

  /** Non-empty, and only characters SQS keeps exactly (no control characters, no lone surrogates). */
  static boolean nativeValue(String value) {
    return !value.isEmpty() && allowed(value, false) && value.strip().equals(value);
  }

  private static String textOrNull(byte[] payload) {
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(payload)).toString();
    } catch (CharacterCodingException e) {
      return null;
    }
    return allowed(text, true) ? text : null;
  }

  /** SQS's characters: #x9, #xA, #xD, #x20–#xD7FF, #xE000–#xFFFD, #x10000–#x10FFFF; CR left out (may be normalized). */
  private static boolean allowed(String s, boolean tabsAndNewlines) {
    for (int i = 0; i < s.length(); ) {
      int c = s.codePointAt(i);
      boolean ok = (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF)
          || (tabsAndNewlines && (c == 0x9 || c == 0xA));
      if (!ok) {
        return false;
      }
      i += Character.charCount(c);
    }
    return true;
  }

  private static int utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }
}
