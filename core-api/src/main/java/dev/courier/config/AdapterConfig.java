package dev.courier.config;

import dev.courier.ConfigurationException;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The resolved configuration of one adapter: its declared keys (defaults applied) and its native
 * client properties ({@code courier.<adapter>.client.*}). Immutable; secrets are masked in
 * {@link #toString()}.
 */
public final class AdapterConfig {
  // Matched against the lower-cased name with '_' and '-' turned into '.', so property names
  // (sasl.jaas.config, ssl.key.password) and environment names (COURIER_X_API_KEY) match alike.
  private static final Pattern SECRET_WORDS = Pattern.compile(
      ".*(password|passwd|passphrase|secret|token|credential|jaas|private|api\\.?key|access\\.key|keystore\\.key"
          + "|user\\.?info).*");
  // The whole user-info of a URI (amqp://app:pw@host), up to the last '@' (as URI parsers split a
  // raw '@' in a password): masked even under a harmless key. Masks too much rather than too little.
  private static final Pattern URI_USER_INFO = Pattern.compile("(://)\\S*@");
  static final String MASK = "****";

  private final String adapter;
  private final Map<String, ConfigKey<?>> keys;
  private final Map<String, String> values;
  private final Map<String, String> clientProperties;
  private final Duration publishTimeout;

  private AdapterConfig(String adapter, Map<String, ConfigKey<?>> keys, Map<String, String> values,
      Map<String, String> clientProperties, Duration publishTimeout) {
    this.adapter = adapter;
    this.keys = keys;
    this.values = values;
    this.clientProperties = clientProperties;
    this.publishTimeout = publishTimeout;
  }

  /**
   * Explicit construction: {@code values} maps key names relative to {@code courier.<adapter>.}
   * (client properties as {@code client.<name>}) to values. Unknown keys and missing required
   * keys fail with a {@link ConfigurationException} naming them.
   */
  public static AdapterConfig of(String adapter, List<? extends ConfigKey<?>> declared, Map<String, String> values) {
    Objects.requireNonNull(adapter, "adapter");
    Objects.requireNonNull(declared, "declared");
    Objects.requireNonNull(values, "values");
    Map<String, ConfigKey<?>> keys = new LinkedHashMap<>();
    for (ConfigKey<?> k : declared) {
      if (keys.put(k.name(), k) != null) {
        throw new IllegalArgumentException("config key '" + k.name() + "' declared twice by " + adapter);
      }
    }
    Map<String, String> resolved = new LinkedHashMap<>();
    Map<String, String> client = new TreeMap<>();
    values.forEach((name, value) -> {
      Objects.requireNonNull(value, () -> "value of courier." + adapter + "." + name);
      if (name.startsWith("client.") && name.length() > "client.".length()) {
        client.put(name.substring("client.".length()), value);
      } else if (keys.containsKey(name)) {
        resolved.put(name, value);
      } else {
        throw new ConfigurationException("unknown configuration key 'courier." + adapter + "." + name
            + "'; adapter '" + adapter + "' reads " + keys.keySet()
            + " and native client properties under 'courier." + adapter + ".client.'");
      }
    });
    for (ConfigKey<?> k : keys.values()) {
      if (!resolved.containsKey(k.name())) {
        if (k.isRequired()) {
          throw new ConfigurationException("missing configuration key 'courier." + adapter + "."
              + k.name() + "' (environment " + k.environmentName(adapter) + "): " + k.description());
        }
        k.defaultValue().ifPresent(d -> resolved.put(k.name(), d));
      }
    }
    return new AdapterConfig(adapter, Collections.unmodifiableMap(keys),
        Collections.unmodifiableMap(resolved), Collections.unmodifiableMap(client), CourierConfig.DEFAULT_PUBLISH_TIMEOUT);
  }

  /** This configuration for a Courier whose publish timeout ({@code courier.publish-timeout}) is {@code timeout}. */
  public AdapterConfig withPublishTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    return new AdapterConfig(adapter, keys, values, clientProperties, timeout);
  }

  /**
   * How long Courier waits for the confirmation of a publish before failing it (the top-level
   * {@code courier.publish-timeout}, 30 s unless set). A transport that retries on its own should
   * give up before it, so that a publish Courier fails is not stored later.
   */
  public Duration publishTimeout() {
    return publishTimeout;
  }

  public String adapter() {
    return adapter;
  }

  /** The typed value of a declared key, or its default; empty if it has neither. Bad text fails naming the key. */
  public <T> Optional<T> find(ConfigKey<T> key) {
    declared(key.name());
    String v = values.get(key.name());
    try {
      return v == null ? Optional.empty() : Optional.of(key.parse(v));
    } catch (IllegalArgumentException e) {
      throw key.invalid("courier." + adapter + ".", v, e);
    }
  }

  /** The typed value of a declared key, or its default; fails if it has neither. */
  public <T> T get(ConfigKey<T> key) {
    return find(key).orElseThrow(() -> notSet(key.name()));
  }

  /**
   * Passes the typed value of {@code key} (or its default) to {@code setter}, if it has one. An
   * IllegalArgumentException from the setter (a builder's check) becomes a ConfigurationException
   * naming the key; such messages must not contain secrets.
   */
  public <T> void ifPresent(ConfigKey<T> key, Consumer<? super T> setter) {
    Optional<T> value = find(key);
    try {
      value.ifPresent(setter);
    } catch (IllegalArgumentException e) {
      throw new ConfigurationException("invalid configuration 'courier." + adapter + "." + key.name() + "': "
          + e.getMessage(), e);
    }
  }

  /** The text of a declared key, or its default; empty if it has neither. */
  public Optional<String> find(String name) {
    declared(name);
    return Optional.ofNullable(values.get(name));
  }

  /** The text of a declared key, or its default; fails if it has neither. */
  public String get(String name) {
    return find(name).orElseThrow(() -> notSet(name));
  }

  public int getInt(String name) {
    return as(name, v -> Integer.parseInt(v.replace("_", "")), "an integer");
  }

  public long getLong(String name) {
    return as(name, v -> Long.parseLong(v.replace("_", "")), "an integer");
  }

  public boolean getBoolean(String name) {
    return as(name, ConfigKey::parseBoolean, "true or false");
  }

  /** Accepts {@code 250ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 1d} or ISO-8601 ({@code PT30S}), up to 36,500 days. */
  public Duration getDuration(String name) {
    return as(name, ConfigKey::parseDuration, "a duration of at most 36500d such as 250ms, 30s, 5m or PT30S");
  }

  /** Native client properties, names relative to {@code courier.<adapter>.client.}. */
  public Map<String, String> clientProperties() {
    return clientProperties;
  }

  /** Every key and value; secrets masked. */
  @Override
  public String toString() {
    Map<String, String> shown = new LinkedHashMap<>();
    values.forEach((k, v) -> shown.put(k, keys.get(k).isSecret() ? MASK : masked(k, v)));
    clientProperties.forEach((k, v) -> shown.put("client." + k, masked(k, v)));
    return "AdapterConfig{" + adapter + ", " + shown + '}';
  }

  /**
   * Whether a configuration or client property name looks like it holds a secret (password,
   * passphrase, token, key material...): adapters mask such values in every {@code toString()}.
   */
  public static boolean isSecretName(String name) {
    return SECRET_WORDS.matcher(name.toLowerCase(Locale.ROOT).replace('_', '.').replace('-', '.')).matches();
  }

  /**
   * {@code value} as it may be printed (toString, logs, error messages): wholly masked under a
   * {@linkplain #isSecretName secret-looking name}, else with the user-info of any URI in it masked
   * ({@code https://id:pw@host} becomes {@code https://****@host}). Adapters print their settings'
   * values through this.
   */
  public static String masked(String name, String value) {
    return isSecretName(name) ? MASK : URI_USER_INFO.matcher(value).replaceAll("$1" + MASK + "@");
  }

  private void declared(String name) {
    if (!keys.containsKey(name)) {
      throw new IllegalArgumentException("adapter '" + adapter + "' declares no config key '" + name + "'");
    }
  }

  private ConfigurationException notSet(String name) {
    return new ConfigurationException("configuration key 'courier." + adapter + "." + name + "' is not set and has no default");
  }

  private <T> T as(String name, Function<String, T> parse, String expected) {
    String v = get(name).trim();
    try {
      return parse.apply(v);
    } catch (IllegalArgumentException e) {
      String shown = keys.get(name).isSecret() ? MASK : "'" + masked(name, v) + "'";
      throw new ConfigurationException("configuration key 'courier." + adapter + "." + name + "' must be "
          + expected + ", was " + shown, e);
    }
  }
}
