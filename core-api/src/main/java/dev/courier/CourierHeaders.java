package dev.courier;

/**
 * Names of the headers Courier's reliability layer writes. All start with
 * {@link Headers#RESERVED_PREFIX}; applications read them (for example on a dead letter) but never
 * set them. Times are ISO-8601 instants in UTC ({@link java.time.Instant#toString()}).
 */
public final class CourierHeaders {
  /** On a dead letter: the topic the message was consumed from (where redrive sends it back). */
  public static final String DLQ_SOURCE_TOPIC = "courier-dlq-source-topic";
  /** On a dead letter: the group whose handler gave up on it. */
  public static final String DLQ_GROUP = "courier-dlq-group";
  /** On a dead letter: the last {@link Delivery#attempt()} number, in decimal. */
  public static final String DLQ_ATTEMPTS = "courier-dlq-attempts";
  /** On a dead letter: when the first failure this consumer saw happened. */
  public static final String DLQ_FIRST_FAILURE = "courier-dlq-first-failure";
  /** On a dead letter: when the last failure happened. */
  public static final String DLQ_LAST_FAILURE = "courier-dlq-last-failure";
  /** On a dead letter: the class name of the last failure. */
  public static final String DLQ_EXCEPTION_CLASS = "courier-dlq-exception-class";
  /**
   * On a dead letter: the last failure's message, control characters replaced, cut to
   * {@link DeadLetterPolicy#maxErrorMessageLength()} characters and to the room the broker's limits
   * leave (the adapter's per-value limit, and what remains of its header and message limits once the
   * other headers are counted; at least what {@link #RESERVED_BYTES} leaves after the other dead-letter
   * headers). A cut message ends in '…'.
   */
  public static final String DLQ_EXCEPTION_MESSAGE = "courier-dlq-exception-message";
  /** On a dead letter: the dead-letter reason, one of {@code exhausted}, {@code non-retryable}, {@code undecodable}. */
  public static final String DLQ_REASON = "courier-dlq-reason";
  /** On a redriven message: how many times it has been redriven from a dead-letter topic. */
  public static final String REDRIVE_COUNT = "courier-redrive-count";

  /**
   * Headers Courier may add to a message it sends itself: the eight dead-letter headers plus the
   * {@link #REDRIVE_COUNT} of a redriven message that failed again. Applications' messages may
   * carry this many headers fewer than the broker ({@link Capabilities#limits()}).
   */
  public static final int RESERVED_COUNT = 9;
  /**
   * Bytes (names and values, UTF-8) Courier reserves for the headers it adds. Applications'
   * messages may carry this many header bytes, and message bytes, fewer than the broker. The
   * dead-letter headers' variable values are cut to fit: the exception class to
   * {@value #MAX_EXCEPTION_CLASS_BYTES} bytes, the exception message to the room left.
   */
  public static final int RESERVED_BYTES = 2048;
  /** Longest {@link #DLQ_EXCEPTION_CLASS} value, in UTF-8 bytes; a longer class name is cut, ending in '…'. */
  public static final int MAX_EXCEPTION_CLASS_BYTES = 256;
  /**
   * On a message an adapter could not map from its broker entry (dead-lettered as
   * {@code undecodable}): the broker's own id of the entry, see {@link dev.courier.spi.Undecodable}.
   */
  public static final String BROKER_ID = "courier-broker-id";

  /** Prefix shared by the dead-letter headers; redrive strips them. */
  public static final String DLQ_PREFIX = "courier-dlq-";

  private CourierHeaders() {}
}
