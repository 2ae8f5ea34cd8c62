package dev.courier.config;

import dev.courier.ConfigurationException;
import dev.courier.internal.Durations;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * One configuration key an adapter reads, relative to {@code courier.<adapter>.}, declared once:
 * its type (how its text is parsed and which values are allowed), its default (or none), a
 * description (the README's configuration table is generated from it), and whether it is secret
 * (masked wherever configuration is printed) or required. An adapter's in-code builder takes its
 * defaults ({@link #parsedDefault()}) and its checks ({@link #check}) from the same declaration.
 * Immutable; the default text is checked when the key is declared.
 *
 * @param <T> the type {@link AdapterConfig#get(ConfigKey)} returns for this key
 */
public final class ConfigKey<T> {
  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

  private final String name;
  private final Type<T> type;
  private final String defaultValue;
  private final String shownDefault;
  private final String description;
  private final boolean secret;
  private final boolean required;

  /**
   * How text becomes a value: {@code parse} throws IllegalArgumentException when malformed,
   * {@code allowed} restricts parsed values, {@code rule} completes "must be …" for a bad value in
   * code, {@code expected} for bad text in configuration.
   */
  private record Type<T>(Function<String, T> parse, Predicate<T> allowed, String rule, String expected) {}

  private static final Type<String> TEXT = new Type<>(s -> s, s -> true, "", "text");

  private ConfigKey(String name, Type<T> type, String defaultValue, String shownDefault, String description,
      boolean secret, boolean required) {
    this.name = checkName(name);
    this.type = type;
    this.defaultValue = defaultValue;
    this.shownDefault = shownDefault;
    this.description = Objects.requireNonNull(description, "description");
    this.secret = secret;
    this.required = required;
    if (defaultValue != null) {
      parse(defaultValue); // a bad default is a bug in the declaration: fail when the class loads
    }
  }

  /** An optional text key with a default ({@code null} for none). */
  public static ConfigKey<String> optional(String name, String defaultValue, String description) {
    return new ConfigKey<>(name, TEXT, defaultValue, null, description, false, false);
  }

  /** A text key that must be set. */
  public static ConfigKey<String> required(String name, String description) {
    return new ConfigKey<>(name, TEXT, null, null, description, false, true);
  }

  /** An optional secret text (password, token) without default: masked in every toString() and log line. */
  public static ConfigKey<String> secret(String name, String description) {
    return optional(name, null, description).masked();
  }

  /** An integer in {@code [min, max]}; '_' may group digits ({@code 1_000_000}). */
  public static ConfigKey<Integer> integer(String name, String defaultValue, int min, int max, String description) {
    String rule = max == Integer.MAX_VALUE ? "at least " + min : "in [" + min + ", " + max + "]";
    return new ConfigKey<>(name, new Type<>(s -> Integer.parseInt(s.trim().replace("_", "")), i -> i >= min && i <= max,
        rule, "an integer " + rule), defaultValue, null, description, false, false);
  }

  /** {@code true} or {@code false}, in any case. */
  public static ConfigKey<Boolean> bool(String name, String defaultValue, String description) {
    return new ConfigKey<>(name, new Type<>(ConfigKey::parseBoolean, b -> true, "", "true or false"),
        defaultValue, null, description, false, false);
  }

  /** A positive duration in the forms of {@link #parseDuration}. */
  public static ConfigKey<Duration> duration(String name, String defaultValue, String description) {
    return new ConfigKey<>(name, new Type<>(s -> parseDuration(s.trim()), d -> !d.isNegative() && !d.isZero(),
        "positive", "a positive duration of at most 36500d such as 250ms, 30s, 5m or PT30S"),
        defaultValue, null, description, false, false);
  }

  /** One of {@code type}'s constants, written in any case ({@code quorum} for {@code QUORUM}). */
  public static <E extends Enum<E>> ConfigKey<E> enumeration(String name, Class<E> type, String defaultValue,
      String description) {
    String names = Arrays.stream(type.getEnumConstants()).map(e -> e.name().toLowerCase(Locale.ROOT))
        .collect(Collectors.joining(", "));
    return new ConfigKey<>(name, new Type<>(s -> Enum.valueOf(type, s.trim().toUpperCase(Locale.ROOT)), e -> true,
        "", "one of " + names), defaultValue, null, description, false, false);
  }

  /** A file system path, without default. */
  public static ConfigKey<Path> path(String name, String description) {
    return new ConfigKey<>(name, new Type<>(s -> Path.of(s.trim()), p -> true, "", "a file path"),
        null, null, description, false, false);
  }

  /** This key, secret: its value is masked wherever configuration is printed. */
  public ConfigKey<T> masked() {
    return new ConfigKey<>(name, type, defaultValue, shownDefault, description, true, required);
  }

  /** This key, documented with {@code text} as its default, for a key whose default is not a fixed value. */
  public ConfigKey<T> shownDefault(String text) {
    return new ConfigKey<>(name, type, defaultValue, Objects.requireNonNull(text, "text"), description, secret, required);
  }

  public String name() {
    return name;
  }

  /** The default as configuration text ({@code 5m}); empty if the key has none. */
  public Optional<String> defaultValue() {
    return Optional.ofNullable(defaultValue);
  }

  /** The default, parsed; for builders, which start from the same defaults as configuration. */
  public T parsedDefault() {
    if (defaultValue == null) {
      throw new IllegalStateException("config key '" + name + "' has no default");
    }
    return parse(defaultValue);
  }

  /** The default as the README's table shows it: {@code `5m`}, a phrase, or a dash. */
  public String documentedDefault() {
    return defaultValue != null ? "`" + defaultValue + "`" : shownDefault != null ? shownDefault
        : required ? "— (required)" : "—";
  }

  public String description() {
    return description;
  }

  public boolean isSecret() {
    return secret;
  }

  public boolean isRequired() {
    return required;
  }

  /** The environment variable for this key of {@code adapter}, e.g. COURIER_RABBITMQ_PASSWORD. */
  public String environmentName(String adapter) {
    return CourierConfig.environmentName("courier." + adapter + "." + name);
  }

  /** {@code text} parsed; IllegalArgumentException if malformed or not allowed. */
  public T parse(String text) {
    T value = type.parse.apply(Objects.requireNonNull(text, "text"));
    if (!type.allowed.test(value)) {
      throw new IllegalArgumentException(name + " must be " + type.rule + ", was " + text);
    }
    return value;
  }

  /** {@code value} if this key allows it; else IllegalArgumentException naming {@code parameter} (a builder's). */
  public T check(String parameter, T value) {
    Objects.requireNonNull(value, parameter);
    if (!type.allowed.test(value)) {
      throw new IllegalArgumentException(parameter + " must be " + type.rule + ", was " + value);
    }
    return value;
  }

  /** The error for bad {@code text} of this key under {@code prefix} ({@code courier.kafka.}); a secret's text is not shown. */
  ConfigurationException invalid(String prefix, String text, Exception cause) {
    String shown = secret ? AdapterConfig.MASK : "'" + AdapterConfig.masked(name, text) + "'";
    return new ConfigurationException("configuration key '" + prefix + name + "' must be " + type.expected
        + ", was " + shown, cause);
  }

  @Override
  public String toString() {
    return name + (secret ? " (secret)" : defaultValue != null ? "=" + defaultValue : required ? " (required)" : "");
  }

  private static String checkName(String name) {
    Objects.requireNonNull(name, "name");
    if (!name.matches("[a-z0-9]+([.-][a-z0-9]+)*")) {
      throw new IllegalArgumentException("config key name '" + name
          + "' must be lower-case words of letters and digits joined by '.' or '-'");
    }
    return name;
  }

  static boolean parseBoolean(String s) {
    String v = s.trim().toLowerCase(Locale.ROOT);
    if (!v.equals("true") && !v.equals("false")) {
      throw new IllegalArgumentException("not a boolean");
    }
    return Boolean.parseBoolean(v);
  }

  /**
   * {@code 250ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 1d} or ISO-8601 ({@code PT30S}), at
   * most 36,500 days ({@link Durations#MAX}); IllegalArgumentException otherwise.
   */
  static Duration parseDuration(String v) {
    Duration d = parseAnyDuration(v);
    if (d.compareTo(Durations.MAX) > 0) {
      throw new IllegalArgumentException("duration " + v + " is longer than the maximum of 36500d");
    }
    return d;
  }

  private static Duration parseAnyDuration(String v) {
    Matcher m = DURATION.matcher(v);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      try {
        return switch (m.group(2)) {
          case "ms" -> Duration.ofMillis(n);
          case "s" -> Duration.ofSeconds(n);
          case "m" -> Duration.ofMinutes(n);
          case "h" -> Duration.ofHours(n);
          default -> Duration.ofDays(n);
        };
      } catch (ArithmeticException e) {
        throw new IllegalArgumentException("duration out of range: " + v, e);
      }
    }
    try {
      return Duration.parse(v);
    } catch (java.time.format.DateTimeParseException e) {
      throw new IllegalArgumentException("not a duration: " + v, e);
    }
  }
}
