package dev.courier;

import java.util.Objects;
import java.util.Optional;

/**
 * Where a subscription's dead letters go. By default to the adapter's derived name for
 * {@code <topic>.<group>.dlq}; {@link #toTopic(String)} names another. Immutable.
 */
public final class DeadLetterPolicy {
  private static final DeadLetterPolicy DEFAULTS = new DeadLetterPolicy(null, 4096);

  private final String topic;
  private final int maxErrorMessageLength;

  private DeadLetterPolicy(String topic, int maxErrorMessageLength) {
    this.topic = topic;
    this.maxErrorMessageLength = maxErrorMessageLength;
  }

  public static DeadLetterPolicy defaults() {
    return DEFAULTS;
  }

  /** Dead letters go to {@code topic} (validated against the adapter's naming rules at subscribe). */
  public static DeadLetterPolicy toTopic(String topic) {
    Objects.requireNonNull(topic, "topic");
    if (topic.isBlank()) {
      throw new IllegalArgumentException("dead-letter topic must not be blank");
    }
    return new DeadLetterPolicy(topic, DEFAULTS.maxErrorMessageLength);
  }

  /** Longest exception message copied into the dead-letter headers, in characters. */
  public DeadLetterPolicy withMaxErrorMessageLength(int chars) {
    if (chars < 0) {
      throw new IllegalArgumentException("maxErrorMessageLength must not be negative, was " + chars);
    }
    return new DeadLetterPolicy(topic, chars);
  }

  /** The configured topic; empty means the adapter's derived default. */
  public Optional<String> topic() {
    return Optional.ofNullable(topic);
  }

  public int maxErrorMessageLength() {
    return maxErrorMessageLength;
  }

  @Override
  public String toString() {
    return "DeadLetterPolicy{topic=" + (topic == null ? "<derived>" : topic)
        + ", maxErrorMessageLength=" + maxErrorMessageLength + '}';
  }
}
