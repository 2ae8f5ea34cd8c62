package dev.courier.sqs.internal;

import dev.courier.CourierHeaders;
import dev.courier.Message;
import dev.courier.spi.NamingRules;
import dev.courier.sqs.SqsSettings;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which topics are FIFO ({@code courier.sqs.fifo-topics}) and the ids a FIFO message carries. Pure.
 *
 * <p>A message's key is its {@code MessageGroupId}, so SQS hands a key's messages over one at a
 * time, in order, across all consumers; an unkeyed message is a group of its own (its id), so it
 * holds back nothing. Its id is its {@code MessageDeduplicationId}, so a publish retried within SQS's
 * five minutes is kept once; a redriven dead letter (same id, {@link CourierHeaders#REDRIVE_COUNT}
 * set) gets an id of its own, so SQS never drops it as a duplicate of the original (the adapter
 * never copies a received FIFO message: a copy would go behind its key's later messages). Ids SQS would refuse (over 128 characters, or characters other
 * than ASCII letters, digits and punctuation) travel as {@code #} and their SHA-256 in hex; ids
 * starting with {@code #} too, so no two ids meet.
 */
public final class Fifo {
  /** The suffix SQS and SNS require of FIFO queue and topic names. */
  public static final String SUFFIX = ".fifo";

  private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9!\"$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~]"
      + "[A-Za-z0-9!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~]{0,127}");

  private final Set<String> topics;
  private final boolean all;

  public Fifo(Set<String> topics) {
    this.all = topics.contains(SqsSettings.ALL_TOPICS);
    this.topics = Set.copyOf(topics);
  }

  /** Whether any topic is FIFO (then ORDERED_BY_KEY is declared). */
  public boolean any() {
    return all || !topics.isEmpty();
  }

  /** Whether {@code topic} is FIFO; dead-letter topics never are (dead letters keep no order). */
  public boolean isFifo(String topic) {
    return all ? !isDeadLetterTopic(topic) : topics.contains(topic);
  }

  static boolean isDeadLetterTopic(String topic) {
    return topic.endsWith("-" + NamingRules.Derived.DEAD_LETTER.suffix());
  }

  /** Whether the queue at {@code queueUrlOrName} is FIFO (its name ends in {@value #SUFFIX}). */
  public static boolean isFifoQueue(String queueUrlOrName) {
    return queueUrlOrName.endsWith(SUFFIX);
  }

  /** The group and deduplication id of a FIFO message. */
  public record Ids(String groupId, String deduplicationId) {}

  /** The ids of a published message: its key (or id) and its id (with the redrive count, if redriven). */
  public static Ids ofPublished(Message m) {
    String redrive = m.headers().get(CourierHeaders.REDRIVE_COUNT).map(n -> "#r" + n).orElse("");
    return new Ids(groupId(m), token(m.id() + redrive));
  }

  private static String groupId(Message m) {
    return token(m.key().orElse(m.id()));
  }

  /** {@code raw} where SQS accepts it as an id and it does not start with {@code #}; else {@code #} and its SHA-256. */
  static String token(String raw) {
    return TOKEN.matcher(raw).matches() ? raw : "#" + QueueDirectory.sha256Hex(raw);
  }
}
