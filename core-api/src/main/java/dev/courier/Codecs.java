package dev.courier;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/** The built-in codecs: raw bytes, UTF-8 text, and JSON through Jackson without default typing. */
public final class Codecs {
  private static final Codec<byte[]> BYTES = new Codec<>() {
    @Override
    public String contentType() {
      return "application/octet-stream";
    }

    @Override
    public byte[] encode(byte[] value) {
      return value.clone();
    }

    @Override
    public byte[] decode(byte[] payload, Headers headers) {
      return payload;
    }

    @Override
    public String toString() {
      return "Codecs.bytes()";
    }
  };

  private static final Codec<String> UTF8 = new Codec<>() {
    @Override
    public String contentType() {
      return "text/plain; charset=utf-8";
    }

    @Override
    public byte[] encode(String value) {
      return value.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String decode(byte[] payload, Headers headers) {
      try {
        return StandardCharsets.UTF_8.newDecoder()
            .decode(java.nio.ByteBuffer.wrap(payload))
            .toString();
      } catch (java.nio.charset.CharacterCodingException e) {
        throw new IllegalArgumentException("payload is not valid UTF-8", e);
      }
    }

    @Override
    public String toString() {
      return "Codecs.utf8()";
    }
  };

  // Unknown properties are ignored so producers can add fields without breaking consumers.
  private static final ObjectMapper DEFAULT_MAPPER = JsonMapper.builder()
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .build();

  private Codecs() {}

  public static Codec<byte[]> bytes() {
    return BYTES;
  }

  /** Strict UTF-8: malformed input fails to decode rather than turning into replacement chars. */
  public static Codec<String> utf8() {
    return UTF8;
  }

  /** JSON for {@code type} with Courier's mapper: no default typing, unknown properties ignored. */
  public static <T> Codec<T> json(Class<T> type) {
    return json(type, DEFAULT_MAPPER);
  }

  /**
   * JSON for {@code type} with the caller's mapper. A mapper with default typing enabled is
   * refused: it lets a payload name the class to instantiate, a known remote-code-execution path.
   */
  public static <T> Codec<T> json(Class<T> type, ObjectMapper mapper) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(mapper, "mapper");
    if (mapper.getDeserializationConfig().getDefaultTyper(mapper.constructType(Object.class)) != null) {
      throw new IllegalArgumentException(
          "mapper has default typing enabled; Courier refuses polymorphic deserialization of "
              + "untrusted payloads: use a mapper without activateDefaultTyping");
    }
    return new JsonCodec<>(type, mapper);
  }

  private static final class JsonCodec<T> implements Codec<T> {
    private final Class<T> type;
    private final ObjectMapper mapper;

    JsonCodec(Class<T> type, ObjectMapper mapper) {
      this.type = type;
      this.mapper = mapper;
    }

    @Override
    public String contentType() {
      return "application/json";
    }

    @Override
    public byte[] encode(T value) {
      try {
        return mapper.writeValueAsBytes(value);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot encode " + type.getName() + " as JSON", e);
      }
    }

    @Override
    public T decode(byte[] payload, Headers headers) {
      try {
        T value = mapper.readValue(payload, type);
        if (value == null) {
          throw new IllegalArgumentException("payload is JSON null, expected " + type.getName());
        }
        return value;
      } catch (IOException e) {
        throw new UncheckedIOException("payload is not JSON for " + type.getName(), e);
      }
    }

    @Override
    public String toString() {
      return "Codecs.json(" + type.getName() + ")";
    }
  }
}
