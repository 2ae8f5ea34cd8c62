package dev.courier.spi;

import dev.courier.InvalidNameException;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A broker's rules for topic and group names, and how Courier derives names from them (the
 * dead-letter topic of a group). Immutable.
 */
public final class NamingRules {
  private static final Pattern DEFAULT_ALLOWED = Pattern.compile("[A-Za-z0-9._\\-]+");

  private final int maxLength;
  private final Pattern allowed;
  private final String allowedDescription;
  private final String separator;
  // Names already found valid: publish validates its topic on every call, so skip the regex.
  private final java.util.Set<String> known = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private static final int MAX_KNOWN = 10_000;

  private NamingRules(int maxLength, Pattern allowed, String allowedDescription, String separator) {
    this.maxLength = maxLength;
    this.allowed = allowed;
    this.allowedDescription = allowedDescription;
    this.separator = separator;
  }

  /** Letters, digits, '.', '_' and '-', at most 249 characters; derived names joined with '.'. */
  public static NamingRules standard() {
    return new NamingRules(249, DEFAULT_ALLOWED, "letters, digits, '.', '_' and '-'", ".");
  }

  /** Custom rules: names must fully match {@code allowed}; derived names are joined with {@code separator}. */
  public static NamingRules of(int maxLength, Pattern allowed, String allowedDescription, String separator) {
    if (maxLength < 3) {
      throw new IllegalArgumentException("maxLength must be at least 3, was " + maxLength);
    }
    return new NamingRules(maxLength, Objects.requireNonNull(allowed, "allowed"),
        Objects.requireNonNull(allowedDescription, "allowedDescription"),
        Objects.requireNonNull(separator, "separator"));
  }

  public int maxLength() {
    return maxLength;
  }

  public String validateTopic(String topic) {
    return validate(topic, "topic");
  }

  public String validateGroup(String group) {
    return validate(group, "group");
  }

  /** {@code <topic><sep><group><sep>dlq}, validated. */
  public String deadLetterTopic(String topic, String group) {
    return derived(topic + separator + group + separator + "dlq", topic, group);
  }

  /** The group Courier provisions on a dead-letter topic so dead letters are kept. */
  public String deadLetterGroup() {
    return "courier" + separator + "dlq";
  }

  private String derived(String name, String topic, String group) {
    try {
      return validate(name, "derived name");
    } catch (InvalidNameException e) {
      throw new InvalidNameException("the dead-letter topic derived from topic '" + topic
          + "' and group '" + group + "' is invalid (" + e.getMessage()
          + "); name one with DeadLetterPolicy.toTopic(...)");
    }
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
        + ", separator='" + separator + "'}";
  }
}
