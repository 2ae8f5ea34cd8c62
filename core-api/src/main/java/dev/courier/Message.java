package dev.courier;

import dev.courier.internal.MessageAccess;
import dev.courier.internal.MessageIds;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * An immutable message: an id, an optional partitioning/ordering key, headers, payload bytes and a
 * creation timestamp. Build one with {@link #builder()}; derive variants with {@code withX} or
 * {@link #toBuilder()}.
 *
 * <p>The id identifies the message across redeliveries and dead-letter replays and is the default
 * idempotency key; when not set, a random time-ordered id is generated. The payload array is
 * copied on the way in and out, so a message can be shared freely between threads.
 */
public final class Message {
  private final String id;
  private final String key;
  private final Headers headers;
  private final byte[] payload;
  private final Instant timestamp;

  static {
    MessageAccess.install(new MessageAccess() {
      @Override
      public byte[] payload(Message message) {
        return message.payload;
      }

      @Override
      public Builder adoptPayload(Builder builder, byte[] payload) {
        builder.payload = java.util.Objects.requireNonNull(payload, "payload");
        return builder;
      }
    });
  }

  private Message(String id, String key, Headers headers, byte[] payload, Instant timestamp) {
    this.id = id;
    this.key = key;
    this.headers = headers;
    this.payload = payload;
    this.timestamp = timestamp;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A message with a generated id, no key, no headers, the given payload and the current time. */
  public static Message of(byte[] payload) {
    return builder().payload(payload).build();
  }

  public String id() {
    return id;
  }

  public Optional<String> key() {
    return Optional.ofNullable(key);
  }

  public Headers headers() {
    return headers;
  }

  /** A copy of the payload bytes. */
  public byte[] payload() {
    return payload.clone();
  }

  /** A read-only view of the payload, without copying. */
  public ByteBuffer payloadBuffer() {
    return ByteBuffer.wrap(payload).asReadOnlyBuffer();
  }

  public int payloadSize() {
    return payload.length;
  }

  public Instant timestamp() {
    return timestamp;
  }

  /** Decodes the payload; a failure is a {@link PayloadDecodeException}. */
  public <T> T payload(Codec<T> codec) {
    Objects.requireNonNull(codec, "codec");
    try {
      return codec.decode(payload.clone(), headers);
    } catch (PayloadDecodeException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new PayloadDecodeException("cannot decode message " + id + " with " + codec, e);
    }
  }

  public Message withHeader(String name, String value) {
    Headers updated = headers.with(name, value);
    return updated == headers ? this : new Message(id, key, updated, payload, timestamp);
  }

  public Message withHeaders(Headers replacement) {
    return new Message(id, key, Objects.requireNonNull(replacement, "headers"), payload, timestamp);
  }

  public Message withKey(String newKey) {
    return new Message(id, checkKey(newKey), headers, payload, timestamp);
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.id = id;
    b.key = key;
    b.headers.putAll(headers.asMap());
    b.payload = payload;
    b.timestamp = timestamp;
    return b;
  }


  @Override
  public boolean equals(Object o) {
    return o instanceof Message m
        && id.equals(m.id)
        && Objects.equals(key, m.key)
        && headers.equals(m.headers)
        && Arrays.equals(payload, m.payload)
        && timestamp.equals(m.timestamp);
  }

  @Override
  public int hashCode() {
    return id.hashCode();
  }

  /** Never prints payload or header values: they may hold secrets or personal data. */
  @Override
  public String toString() {
    return "Message{id=" + id + (key == null ? "" : ", key=" + key) + ", headers=" + headers.names()
        + ", payloadBytes=" + payload.length + ", timestamp=" + timestamp + '}';
  }

  private static String checkKey(String key) {
    Objects.requireNonNull(key, "key");
    if (key.isEmpty()) {
      throw new IllegalArgumentException("key must not be empty; leave it unset for no key");
    }
    // Keys go into log lines like ids: a line break in one could forge log entries.
    if (hasControlCharacter(key)) {
      throw new IllegalArgumentException(
          "key must not contain control characters: '" + Headers.printable(key) + "'");
    }
    return key;
  }

  /** Builds a {@link Message}; only the payload is required. Not thread-safe. */
  public static final class Builder {
    private String id;
    private String key;
    private final Map<String, String> headers = new LinkedHashMap<>(); // entries checked on the way in
    private byte[] payload;
    private Instant timestamp;

    private Builder() {}

    public Builder id(String id) {
      Objects.requireNonNull(id, "id");
      if (id.isBlank()) {
        throw new IllegalArgumentException("id must not be blank");
      }
      // Ids go into log lines and error messages: a line break in one could forge log entries.
      if (hasControlCharacter(id)) {
        throw new IllegalArgumentException(
            "id must not contain control characters: '" + Headers.printable(id) + "'");
      }
      this.id = id;
      return this;
    }

    public Builder key(String key) {
      this.key = checkKey(key);
      return this;
    }

    /** Sets a header, replacing an earlier value (which keeps its position). */
    public Builder header(String name, String value) {
      Headers.check(name, value);
      headers.put(name, value);
      return this;
    }

    /** Sets every header of {@code headers}, replacing earlier values. */
    public Builder headers(Headers headers) {
      this.headers.putAll(Objects.requireNonNull(headers, "headers").asMap());
      return this;
    }

    /** Copies {@code payload}. */
    public Builder payload(byte[] payload) {
      this.payload = Objects.requireNonNull(payload, "payload").clone();
      return this;
    }

    /** Encodes {@code value} with {@code codec}, which may also set a content-type header. */
    public <T> Builder payload(T value, Codec<T> codec) {
      Objects.requireNonNull(codec, "codec");
      this.payload = codec.encode(Objects.requireNonNull(value, "value"));
      this.headers.putAll(codec.headers().asMap());
      return this;
    }

    public Builder timestamp(Instant timestamp) {
      this.timestamp = Objects.requireNonNull(timestamp, "timestamp");
      return this;
    }

    public Message build() {
      if (payload == null) {
        throw new IllegalStateException("payload is required (use new byte[0] for an empty one)");
      }
      return new Message(
          id != null ? id : MessageIds.next(),
          key,
          Headers.ofChecked(headers),
          payload,
          timestamp != null ? timestamp : Instant.now());
    }
  }

  private static boolean hasControlCharacter(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (Character.isISOControl(s.charAt(i))) {
        return true;
      }
    }
    return false;
  }
}
