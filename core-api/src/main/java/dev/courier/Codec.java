package dev.courier;

/**
 * Turns values into payload bytes and back. Implementations must be thread-safe and must not
 * instantiate types named by the payload (no polymorphic deserialization of untrusted input).
 * {@link Codecs} has the built-in ones.
 */
public interface Codec<T> {
  /** The MIME type written to the {@value #CONTENT_TYPE} header, for non-Java consumers. */
  String contentType();

  byte[] encode(T value);

  /**
   * Decodes a payload. Throw any runtime exception on bad input; {@link Message#payload(Codec)}
   * wraps it in a {@link PayloadDecodeException}, which dead-letters the message at once.
   */
  T decode(byte[] payload, Headers headers);

  /** Headers every encoded message carries; by default the content type. */
  default Headers headers() {
    return Headers.of(CONTENT_TYPE, contentType());
  }

  /** CloudEvents-compatible name of the content-type header. */
  String CONTENT_TYPE = "content-type";
}
