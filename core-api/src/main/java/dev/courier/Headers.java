package dev.courier;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Immutable, ordered string headers of a {@link Message}. Names are non-empty and free of control
 * characters; values are non-null. Names starting with {@value #RESERVED_PREFIX} or
 * {@value #RESERVED_WIRE_PREFIX} (in any case) belong to Courier (message id, attempt counts,
 * dead-letter metadata, adapters' wire headers): they are set only by the library, and publishing
 * a message that carries one fails with an {@link IllegalArgumentException} before any I/O.
 * Messages received from a broker may carry them (a dead letter's {@code courier-dlq-*} headers).
 */
public final class Headers {
  /** Prefix of the headers Courier itself writes. */
  public static final String RESERVED_PREFIX = "courier-";
  /** Prefix of the headers adapters write on the wire (RabbitMQ's {@code x-courier-key}). */
  public static final String RESERVED_WIRE_PREFIX = "x-courier-";

  private static final Headers EMPTY = new Headers(Map.of());

  private final Map<String, String> values;

  private Headers(Map<String, String> values) {
    this.values = values;
  }

  public static Headers empty() {
    return EMPTY;
  }

  /** Copies {@code values}, validating every name and value. */
  public static Headers of(Map<String, String> values) {
    Objects.requireNonNull(values, "values");
    if (values.isEmpty()) {
      return EMPTY;
    }
    Map<String, String> copy = new LinkedHashMap<>(values.size() * 2);
    values.forEach((name, value) -> copy.put(checkName(name), checkValue(name, value)));
    return new Headers(Collections.unmodifiableMap(copy));
  }

  /** Checks one entry as {@link #with} does, for builders that collect entries themselves. */
  static void check(String name, String value) {
    checkName(name);
    checkValue(name, value);
  }

  /** A copy of entries that were already checked with {@link #check}. */
  static Headers ofChecked(Map<String, String> checked) {
    return checked.isEmpty() ? EMPTY : new Headers(Collections.unmodifiableMap(new LinkedHashMap<>(checked)));
  }

  public static Headers of(String name, String value) {
    return EMPTY.with(name, value);
  }

  /**
   * Whether {@code name} starts with {@value #RESERVED_PREFIX} or {@value #RESERVED_WIRE_PREFIX},
   * ignoring case: a header only Courier may set.
   */
  public static boolean isReserved(String name) {
    Objects.requireNonNull(name, "name");
    return name.regionMatches(true, 0, RESERVED_PREFIX, 0, RESERVED_PREFIX.length())
        || name.regionMatches(true, 0, RESERVED_WIRE_PREFIX, 0, RESERVED_WIRE_PREFIX.length());
  }

  public Optional<String> get(String name) {
    return Optional.ofNullable(values.get(Objects.requireNonNull(name, "name")));
  }

  public boolean contains(String name) {
    return values.containsKey(Objects.requireNonNull(name, "name"));
  }

  /** A copy with {@code name} set to {@code value}, replacing any earlier value. */
  public Headers with(String name, String value) {
    checkName(name);
    checkValue(name, value);
    if (value.equals(values.get(name))) {
      return this;
    }
    Map<String, String> copy = new LinkedHashMap<>(values);
    copy.put(name, value);
    return new Headers(Collections.unmodifiableMap(copy));
  }

  /** A copy with every entry of {@code more} set, replacing earlier values. */
  public Headers withAll(Headers more) {
    Objects.requireNonNull(more, "more");
    if (more.isEmpty()) {
      return this;
    }
    if (isEmpty()) {
      return more;
    }
    Map<String, String> copy = new LinkedHashMap<>(values);
    copy.putAll(more.values);
    return new Headers(Collections.unmodifiableMap(copy));
  }

  /** A copy without {@code name}. */
  public Headers without(String name) {
    if (!values.containsKey(Objects.requireNonNull(name, "name"))) {
      return this;
    }
    Map<String, String> copy = new LinkedHashMap<>(values);
    copy.remove(name);
    return copy.isEmpty() ? EMPTY : new Headers(Collections.unmodifiableMap(copy));
  }

  public Set<String> names() {
    return values.keySet();
  }

  /** An unmodifiable view in insertion order. */
  public Map<String, String> asMap() {
    return values;
  }

  public int size() {
    return values.size();
  }

  public boolean isEmpty() {
    return values.isEmpty();
  }

  /** Bytes of all names and values in UTF-8: what adapters compare with their header limits. */
  public int encodedSize() {
    int total = 0;
    for (Map.Entry<String, String> e : values.entrySet()) {
      total += utf8Length(e.getKey()) + utf8Length(e.getValue());
    }
    return total;
  }

  /** {@code s.getBytes(UTF_8).length} without encoding it (checked on every publish). */
  private static int utf8Length(String s) {
    int n = s.length();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 0x80) {
        if (c < 0x800) {
          n++;
        } else if (!Character.isSurrogate(c)) {
          n += 2;
        } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
          n += 2; // 4 bytes for the pair's 2 chars
          i++;
        } // else a lone surrogate, encoded as '?': 1 byte
      }
    }
    return n;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Headers other && values.equals(other.values);
  }

  @Override
  public int hashCode() {
    return values.hashCode();
  }

  /** Names only: header values may carry tokens or personal data, so they are never printed. */
  @Override
  public String toString() {
    return "Headers" + values.keySet();
  }

  private static String checkName(String name) {
    Objects.requireNonNull(name, "header name");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("header name must not be empty");
    }
    for (int i = 0; i < name.length(); i++) {
      if (Character.isISOControl(name.charAt(i))) {
        throw new IllegalArgumentException(
            "header name must not contain control characters: '" + printable(name) + "'");
      }
    }
    return name;
  }

  /** {@code s} with every control character (C0, DEL and C1) shown as '?', safe to put in a message. */
  static String printable(String s) {
    StringBuilder b = new StringBuilder(s.length());
    s.codePoints().forEach(c -> b.appendCodePoint(Character.isISOControl(c) ? '?' : c));
    return b.toString();
  }

  private static String checkValue(String name, String value) {
    return Objects.requireNonNull(value, () -> "value of header '" + name + "'");
  }
}
