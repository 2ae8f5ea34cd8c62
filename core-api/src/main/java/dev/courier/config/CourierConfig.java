package dev.courier.config;

import dev.courier.ConfigurationException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * Courier's configuration, from several sources. Precedence, highest first:
 * <ol>
 *   <li>values set in code ({@link Builder#set});</li>
 *   <li>JVM system properties ({@code -Dcourier.broker=kafka});</li>
 *   <li>environment variables: the key upper-cased with '.' and '-' turned into '_'
 *       ({@code COURIER_BROKER}, {@code COURIER_RABBITMQ_PASSWORD},
 *       {@code COURIER_KAFKA_CLIENT_LINGER_MS} for {@code courier.kafka.client.linger.ms});</li>
 *   <li>the properties file named by {@code courier.config} / {@code COURIER_CONFIG};</li>
 *   <li>{@code courier.properties} on the class path.</li>
 * </ol>
 * Only keys under {@code courier.} are read. A key directly under {@code courier.} must be one
 * of {@link #TOP_LEVEL_KEYS} (a typo such as {@code courier.publish-timout} fails the build with a
 * {@link ConfigurationException}); the keys under {@code courier.<adapter>.} are checked by
 * {@link #forAdapter} when that adapter is used, so one file may configure several adapters.
 * Environment variables are not checked for unknown names: {@code COURIER_PUBLISH_TIMOUT} cannot
 * be told from an adapter's key, and other tools may use {@code COURIER_} variables of their own.
 * Immutable; values that look secret are masked in {@link #toString()}.
 */
public final class CourierConfig {
  /** Selects the adapter by name. */
  public static final String BROKER = "courier.broker";
  /** Bound on waiting for a broker's confirmation of a publish. */
  public static final String PUBLISH_TIMEOUT = "courier.publish-timeout";
  /** Names a properties file to read. */
  public static final String CONFIG_FILE = "courier.config";

  /** {@link #PUBLISH_TIMEOUT} declared: its type, default and description. */
  public static final ConfigKey<Duration> PUBLISH_TIMEOUT_KEY = ConfigKey.duration("publish-timeout", "30s",
      "longest wait for the broker's confirmation of a publish (the failure says the message may or may not have been "
          + "stored); also how long `close()` waits for outstanding publishes before failing them");

  /**
   * The keys directly under {@code courier.}, declared as adapters declare theirs (names relative
   * to {@code courier.}); every other key belongs to an adapter's namespace.
   */
  public static final List<ConfigKey<?>> KEYS = List.of(ConfigKey.required("broker", "adapter name"),
      PUBLISH_TIMEOUT_KEY, ConfigKey.path("config", "a properties file to read"));

  /** The full names of {@link #KEYS}. */
  public static final List<String> TOP_LEVEL_KEYS = KEYS.stream().map(k -> "courier." + k.name()).toList();

  static final Duration DEFAULT_PUBLISH_TIMEOUT = PUBLISH_TIMEOUT_KEY.parsedDefault();

  // Property layers, highest precedence first; the environment sits at index envIndex.
  private final List<Map<String, String>> layers;
  private final int envIndex;
  private final Map<String, String> environment;

  private CourierConfig(List<Map<String, String>> layers, int envIndex, Map<String, String> environment) {
    this.layers = layers;
    this.envIndex = envIndex;
    this.environment = environment;
  }

  /** Reads the class-path file, the file named by courier.config, the environment and system properties. */
  public static CourierConfig load() {
    return builder().systemProperties(System.getProperties()).environment(System.getenv()).build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The adapter name from {@code courier.broker}, if set. */
  public Optional<String> broker() {
    return get(BROKER).map(String::trim).filter(s -> !s.isEmpty());
  }

  /** How long a publish may wait for the broker's confirmation; default 30 s. */
  public Duration publishTimeout() {
    Optional<String> v = get(PUBLISH_TIMEOUT);
    try {
      return v.isEmpty() ? DEFAULT_PUBLISH_TIMEOUT : PUBLISH_TIMEOUT_KEY.parse(v.get());
    } catch (IllegalArgumentException e) {
      throw PUBLISH_TIMEOUT_KEY.invalid("courier.", v.get(), e);
    }
  }

  /** The value of a full key ({@code courier.…}) from the highest source that sets it. */
  public Optional<String> get(String key) {
    Objects.requireNonNull(key, "key");
    for (int i = 0; i < layers.size(); i++) {
      if (i == envIndex) {
        String v = environment.get(environmentName(key));
        if (v != null) {
          return Optional.of(v);
        }
      }
      String v = layers.get(i).get(key);
      if (v != null) {
        return Optional.of(v);
      }
    }
    return Optional.empty();
  }

  /**
   * The configuration of adapter {@code name}, checked against the keys it declares: an unknown
   * key under {@code courier.<name>.} or a missing required one fails with a message naming it.
   * Carries {@link #publishTimeout()}, which the adapter's transport should give up before.
   */
  public AdapterConfig forAdapter(String name, List<? extends ConfigKey<?>> keys) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(keys, "keys");
    String prefix = "courier." + name + ".";
    Map<String, String> values = new LinkedHashMap<>();
    // Lowest precedence first, so higher sources overwrite.
    for (int i = layers.size() - 1; i >= 0; i--) {
      layers.get(i).forEach((k, v) -> {
        if (k.startsWith(prefix)) {
          values.put(k.substring(prefix.length()), v);
        }
      });
      if (i == envIndex) {
        Set<String> declaredEnv = new HashSet<>();
        for (ConfigKey<?> k : keys) {
          declaredEnv.add(k.environmentName(name));
          String v = environment.get(k.environmentName(name));
          if (v != null) {
            values.put(k.name(), v);
          }
        }
        String clientEnv = environmentName(prefix + "client.");
        environment.forEach((k, v) -> {
          // A declared key such as client-id has the name of a client property (COURIER_X_CLIENT_ID): it is the key.
          if (k.startsWith(clientEnv) && k.length() > clientEnv.length() && !declaredEnv.contains(k)) {
            values.put("client." + k.substring(clientEnv.length()).toLowerCase(Locale.ROOT).replace('_', '.'), v);
          }
        });
      }
    }
    return AdapterConfig.of(name, keys, values).withPublishTimeout(publishTimeout());
  }

  /** {@code courier.rabbitmq.password} → {@code COURIER_RABBITMQ_PASSWORD}. */
  public static String environmentName(String key) {
    return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  /** Every {@code courier.} key set in a property source, and COURIER_ variables; secrets masked. */
  @Override
  public String toString() {
    Map<String, String> shown = new TreeMap<>();
    for (int i = layers.size() - 1; i >= 0; i--) {
      layers.get(i).forEach((k, v) -> shown.put(k, mask(k, v)));
      if (i == envIndex) {
        environment.forEach((k, v) -> shown.put("$" + k, mask(k, v)));
      }
    }
    return "CourierConfig" + shown;
  }

  private static String mask(String key, String value) {
    return AdapterConfig.masked(key, value);
  }

  /** Collects sources; see the class comment for their precedence. Not thread-safe. */
  public static final class Builder {
    private final Map<String, String> explicit = new LinkedHashMap<>();
    private final Map<String, String> system = new LinkedHashMap<>();
    private final Map<String, String> env = new LinkedHashMap<>();
    private final Map<String, String> file = new LinkedHashMap<>();
    private boolean classpath = true;

    private Builder() {}

    /** Sets a key in code: the highest precedence. */
    public Builder set(String key, String value) {
      explicit.put(courierKey(key), Objects.requireNonNull(value, () -> "value of " + key));
      return this;
    }

    public Builder systemProperties(Properties properties) {
      copy(properties, system);
      return this;
    }

    /** Environment variables; only those starting with COURIER_ are kept. */
    public Builder environment(Map<String, String> environment) {
      Objects.requireNonNull(environment, "environment");
      environment.forEach((k, v) -> {
        if (k.startsWith("COURIER_") && v != null) {
          env.put(k, v);
        }
      });
      return this;
    }

    /** Properties read from a file at the file layer (instead of the one courier.config names). */
    public Builder properties(Properties properties) {
      copy(properties, file);
      return this;
    }

    /** Whether to read {@code courier.properties} from the class path (default true). */
    public Builder classpathFile(boolean read) {
      this.classpath = read;
      return this;
    }

    public CourierConfig build() {
      Map<String, String> fileLayer = new LinkedHashMap<>(file);
      if (fileLayer.isEmpty()) {
        String path = explicit.getOrDefault(CONFIG_FILE,
            system.getOrDefault(CONFIG_FILE, env.get(environmentName(CONFIG_FILE))));
        if (path != null && !path.isBlank()) {
          fileLayer.putAll(readFile(Path.of(path.trim())));
        }
      }
      Map<String, String> classpathLayer = classpath ? readClasspath() : Map.of();
      checkTopLevel(explicit, "set in code");
      checkTopLevel(system, "a system property");
      checkTopLevel(fileLayer, "in the configuration file");
      checkTopLevel(classpathLayer, "in courier.properties on the class path");
      List<Map<String, String>> layers = new ArrayList<>();
      layers.add(Map.copyOf(explicit));
      layers.add(Map.copyOf(system));
      layers.add(Map.of()); // the environment's slot
      layers.add(Map.copyOf(fileLayer));
      layers.add(Map.copyOf(classpathLayer));
      return new CourierConfig(Collections.unmodifiableList(layers), 2, Map.copyOf(env));
    }

    /** Fails on a key directly under {@code courier.} that is not a top-level key, or a top-level key with a suffix. */
    private static void checkTopLevel(Map<String, String> layer, String source) {
      for (String key : layer.keySet()) {
        String rest = key.substring("courier.".length());
        int dot = rest.indexOf('.');
        String first = dot < 0 ? rest : rest.substring(0, dot);
        boolean topLevel = TOP_LEVEL_KEYS.contains("courier." + first);
        if (dot < 0 ? !topLevel : topLevel || first.isEmpty()) {
          throw new ConfigurationException("unknown configuration key '" + key + "' (" + source
              + "): the keys directly under 'courier.' are " + String.join(", ", TOP_LEVEL_KEYS)
              + "; adapter keys go under 'courier.<adapter>.'");
        }
      }
    }

    private static Map<String, String> readFile(Path path) {
      if (!Files.isRegularFile(path)) {
        throw new ConfigurationException("configuration file '" + path + "' (named by "
            + CONFIG_FILE + " / COURIER_CONFIG) does not exist or is not a file");
      }
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
        p.load(r);
      } catch (IOException | IllegalArgumentException e) {
        throw new ConfigurationException("cannot read configuration file '" + path + "': " + e.getMessage(), e);
      }
      Map<String, String> out = new LinkedHashMap<>();
      copy(p, out);
      return out;
    }

    private static Map<String, String> readClasspath() {
      ClassLoader cl = Thread.currentThread().getContextClassLoader();
      if (cl == null) {
        cl = CourierConfig.class.getClassLoader();
      }
      try (InputStream in = cl.getResourceAsStream("courier.properties")) {
        if (in == null) {
          return Map.of();
        }
        Properties p = new Properties();
        p.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
        Map<String, String> out = new LinkedHashMap<>();
        copy(p, out);
        return out;
      } catch (IOException | IllegalArgumentException e) {
        throw new ConfigurationException("cannot read courier.properties from the class path: " + e.getMessage(), e);
      }
    }

    private static void copy(Properties from, Map<String, String> to) {
      Objects.requireNonNull(from, "properties");
      for (String name : from.stringPropertyNames()) {
        if (name.startsWith("courier.")) {
          to.put(name, from.getProperty(name));
        }
      }
    }

    private static String courierKey(String key) {
      Objects.requireNonNull(key, "key");
      if (!key.startsWith("courier.")) {
        throw new IllegalArgumentException("configuration keys start with 'courier.', was '" + key + "'");
      }
      return key;
    }
  }
}
