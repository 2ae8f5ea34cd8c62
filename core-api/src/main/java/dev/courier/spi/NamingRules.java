package dev.courier.spi;

import dev.courier.InvalidNameException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A broker's rules for topic and group names, and the one place physical names are derived from
 * them: the broker name of a (topic, group) ({@link #groupName}) and of every topic Courier derives
 * ({@link #derived}: dead-letter, delay, delayed-publish). Immutable.
 *
 * <p><b>Derived topics</b> are {@code <topic><sep><group><sep><suffix>} (no group for a
 * delayed-publish topic), the names earlier versions used, whenever that is unambiguous and valid:
 * the group holds no separator and the name fits. Otherwise (a group with the separator, where
 * {@code a.b}+{@code c} and {@code a}+{@code b.c} would meet, or a name over the length limit) the
 * name is {@code <readable prefix><sep><h><sep><suffix>}, {@code h} the first 16 hex digits of a
 * SHA-256 over kind, topic and group, length-prefixed. Topics ending in a reserved suffix
 * ({@link #reservedSuffixes()}) are refused for publishing, and but for the dead-letter suffix
 * everywhere, so no application message ever lands in a derived topic.
 *
 * <p><b>Stability</b>: a derived name is a pure function of its inputs and must never change between
 * versions — a new name orphans the broker's existing queues and topics (and what waits in them).
 * The golden values in {@code NamingRulesTest} pin it.
 */
public final class NamingRules {
  private static final Pattern DEFAULT_ALLOWED = Pattern.compile("[A-Za-z0-9._\\-]+");
  /** Hex digits of the SHA-256 in a hashed derived topic name: 64 bits. */
  static final int HASH_HEX = 16;

  /** The kinds of topic Courier derives from a user topic, each with its reserved suffix. */
  public enum Derived {
    /** The dead-letter topic of a (topic, group). */
    DEAD_LETTER("dlq"),
    /** The topic holding a group's redeliveries until due (adapters that emulate delays: Kafka). */
    DELAY("delay"),
    /** The topic holding a topic's delayed publishes until due (Kafka). */
    DELAYED_PUBLISH("delayed");

    private final String suffix;

    Derived(String suffix) {
      this.suffix = suffix;
    }

    /** The suffix, without separator. */
    public String suffix() {
      return suffix;
    }
  }

  private final int maxLength;
  private final Pattern allowed;
  private final String allowedDescription;
  private final String separator;
  private final String groupFormat;
  private final int maxGroupNameBytes;
  // Names already found valid: publish validates its topic on every call, so skip the regex.
  private final java.util.Set<String> known = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final java.util.Set<String> publishable = java.util.concurrent.ConcurrentHashMap.newKeySet(); // and no reserved suffix
  private static final int MAX_KNOWN = 10_000;

  private NamingRules(int maxLength, Pattern allowed, String allowedDescription, String separator,
      String groupFormat, int maxGroupNameBytes) {
    this.maxLength = maxLength;
    this.allowed = allowed;
    this.allowedDescription = allowedDescription;
    this.separator = separator;
    this.groupFormat = groupFormat;
    this.maxGroupNameBytes = maxGroupNameBytes;
  }

  /** Letters, digits, '.', '_' and '-', at most 249 characters; derived names joined with '.'. */
  public static NamingRules standard() {
    return of(249, DEFAULT_ALLOWED, "letters, digits, '.', '_' and '-'", ".");
  }

  /**
   * Custom rules: names must fully match {@code allowed}; derived names are joined with
   * {@code separator}; group names are {@code {topic}:{group}} until {@link #withGroupNames}.
   */
  public static NamingRules of(int maxLength, Pattern allowed, String allowedDescription, String separator) {
    if (maxLength < 3) {
      throw new IllegalArgumentException("maxLength must be at least 3, was " + maxLength);
    }
    return new NamingRules(maxLength, Objects.requireNonNull(allowed, "allowed"),
        Objects.requireNonNull(allowedDescription, "allowedDescription"),
        Objects.requireNonNull(separator, "separator"), "{topic}:{group}", Integer.MAX_VALUE);
  }

  /**
   * These rules with broker group names (queues, consumer groups) made by {@code format}, which holds
   * {@code {topic}} and {@code {group}} once each, joined by text with a character no name may
   * hold (so no two pairs share a name); over {@code maxBytes} (UTF-8) a name is cut and ends in
   * the joiner's first character and the full SHA-256 (hex) of the whole name.
   */
  public NamingRules withGroupNames(String format, int maxBytes) {
    Objects.requireNonNull(format, "format");
    int t = format.indexOf("{topic}");
    int g = format.indexOf("{group}");
    if (t < 0 || g < 0 || format.indexOf("{topic}", t + 1) >= 0 || format.indexOf("{group}", g + 1) >= 0) {
      throw new IllegalArgumentException("format must hold {topic} and {group} once each: " + format);
    }
    String joiner = t < g ? format.substring(t + 7, g) : format.substring(g + 7, t);
    if (joiner.chars().allMatch(c -> allowed.matcher(String.valueOf((char) c)).matches())) {
      throw new IllegalArgumentException("format must join topic and group with a character names may not hold: "
          + format);
    }
    if (maxBytes < 100) {
      throw new IllegalArgumentException("maxBytes must be at least 100, was " + maxBytes);
    }
    return new NamingRules(maxLength, allowed, allowedDescription, separator, format, maxBytes);
  }

  public int maxLength() {
    return maxLength;
  }

  /** Validates a topic to publish to: the broker's rules, and no reserved suffix. */
  public String validateTopic(String topic) {
    Objects.requireNonNull(topic, "topic");
    if (publishable.contains(topic)) {
      return topic;
    }
    for (Derived d : Derived.values()) {
      if (topic.endsWith(separator + d.suffix)) {
        throw new InvalidNameException("topic '" + abbreviate(topic) + "' ends in '" + separator + d.suffix
            + "', a suffix Courier reserves for the " + describe(d) + " topics it derives");
      }
    }
    validate(topic, "topic");
    if (publishable.size() < MAX_KNOWN) {
      publishable.add(topic);
    }
    return topic;
  }

  public String validateGroup(String group) {
    return validate(group, "group");
  }

  /**
   * Validates a topic to subscribe to, provision, or name as a dead-letter topic
   * ({@code DeadLetterPolicy.toTopic}): the broker's rules, and no reserved suffix but the
   * dead-letter one, since dead-letter topics are read like any topic (on brokers without peek,
   * subscribing is how dead letters are seen). Only publishing to them is refused.
   */
  public String validateTopicOrDeadLetterTopic(String topic) {
    Objects.requireNonNull(topic, "topic");
    String dlq = separator + Derived.DEAD_LETTER.suffix;
    return topic.endsWith(dlq) ? validate(topic, "topic") : validateTopic(topic);
  }

  /** The suffixes user topics may not end in, separator included ({@code .dlq}, {@code .delay}, {@code .delayed}). */
  public java.util.List<String> reservedSuffixes() {
    return java.util.Arrays.stream(Derived.values()).map(d -> separator + d.suffix).toList();
  }

  /** The default dead-letter topic of a group: {@code derived(DEAD_LETTER, topic, group)}. */
  public String deadLetterTopic(String topic, String group) {
    return derived(Derived.DEAD_LETTER, topic, group);
  }

  /** The group Courier provisions on a dead-letter topic so dead letters are kept. */
  public String deadLetterGroup() {
    return "courier" + separator + "dlq";
  }

  /** A derived topic of a topic alone ({@link Derived#DELAYED_PUBLISH}). */
  public String derived(Derived kind, String topic) {
    return derived(kind, topic, null);
  }

  /**
   * The broker name of the {@code kind} topic of {@code topic} and {@code group} (null for kinds
   * without a group): readable where unambiguous and valid, else hashed (see the class comment).
   *
   * @throws InvalidNameException if even the hashed name breaks the broker's rules
   */
  public String derived(Derived kind, String topic, String group) {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(topic, "topic");
    String stem = group == null ? topic : topic + separator + group;
    String tail = separator + kind.suffix;
    String readable = stem + tail;
    if ((group == null || !group.contains(separator)) && readable.length() <= maxLength
        && allowed.matcher(readable).matches()) {
      return readable;
    }
    String hash = sha256Hex(kind.suffix.length() + ":" + kind.suffix + topic.length() + ":" + topic
        + (group == null ? "-" : group.length() + ":" + group)).substring(0, HASH_HEX);
    tail = separator + hash + tail;
    String name = stem.substring(0, Math.min(stem.length(), Math.max(0, maxLength - tail.length()))) + tail;
    try {
      return validate(name, "derived name");
    } catch (InvalidNameException e) {
      throw new InvalidNameException("the " + describe(kind) + " topic derived from topic '" + abbreviate(topic)
          + (group == null ? "" : "' and group '" + abbreviate(group)) + "' is invalid (" + e.getMessage() + ")"
          + (kind == Derived.DEAD_LETTER ? "; name one with DeadLetterPolicy.toTopic(...)" : ""));
    }
  }

  /**
   * The broker name of {@code group} on {@code topic} (a RabbitMQ queue, a Kafka consumer group):
   * the group-name format filled in, cut and hashed beyond the byte limit. {@code group} may be an
   * adapter's internal name holding characters user groups may not (say, with a ':'), which then
   * never meets a user group's name.
   */
  public String groupName(String topic, String group) {
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(group, "group");
    String name = groupFormat.replace("{topic}", topic).replace("{group}", group);
    byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
    if (bytes.length <= maxGroupNameBytes) {
      return name;
    }
    String hash = sha256Hex(name);
    char mark = joinerMark();
    return cutToBytes(name, maxGroupNameBytes - hash.length() - 1) + mark + hash;
  }

  private char joinerMark() {
    int t = groupFormat.indexOf("{topic}");
    int g = groupFormat.indexOf("{group}");
    String joiner = t < g ? groupFormat.substring(t + 7, g) : groupFormat.substring(g + 7, t);
    for (char c : joiner.toCharArray()) {
      if (!allowed.matcher(String.valueOf(c)).matches()) {
        return c;
      }
    }
    throw new IllegalStateException("unreachable: checked in withGroupNames");
  }

  private static String cutToBytes(String s, int maxBytes) {
    int end = Math.min(s.length(), maxBytes);
    while (end > 0 && s.substring(0, end).getBytes(StandardCharsets.UTF_8).length > maxBytes) {
      end--;
    }
    if (end > 0 && Character.isHighSurrogate(s.charAt(end - 1))) {
      end--;
    }
    return s.substring(0, end);
  }

  static String sha256Hex(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  private static String describe(Derived d) {
    return switch (d) {
      case DEAD_LETTER -> "dead-letter";
      case DELAY -> "redelivery delay";
      case DELAYED_PUBLISH -> "delayed-publish";
    };
  }

  private String validate(String name, String what) {
    Objects.requireNonNull(name, what);
    if (known.contains(name)) {
      return name;
    }
    if (name.isEmpty()) {
      throw new InvalidNameException(what + " must not be empty");
    }
    if (name.length() > maxLength) {
      throw new InvalidNameException(what + " '" + abbreviate(name) + "' is " + name.length()
          + " characters long; at most " + maxLength + " are allowed");
    }
    if (!allowed.matcher(name).matches()) {
      throw new InvalidNameException(what + " '" + abbreviate(name) + "' may contain only "
          + allowedDescription);
    }
    if (known.size() < MAX_KNOWN) {
      known.add(name);
    }
    return name;
  }

  private static String abbreviate(String name) {
    String printable = name.replaceAll("\\p{Cntrl}", "?");
    return printable.length() <= 80 ? printable : printable.substring(0, 77) + "...";
  }

  @Override
  public String toString() {
    return "NamingRules{maxLength=" + maxLength + ", allowed=" + allowedDescription
        + ", separator='" + separator + "', groups='" + groupFormat + "'}";
  }
}
