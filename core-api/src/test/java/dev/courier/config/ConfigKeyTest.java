package dev.courier.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.ConfigurationException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("ConfigKey")
class ConfigKeyTest {
  private static final ConfigKey<Integer> POOL = ConfigKey.integer("pool-size", "4", 1, 256, "Channels");
  private static final ConfigKey<Duration> TIMEOUT = ConfigKey.duration("timeout", "10s", "A timeout");
  private static final ConfigKey<Boolean> TLS = ConfigKey.bool("tls.enabled", "false", "TLS");
  private static final ConfigKey<ChronoUnit> UNIT = ConfigKey.enumeration("unit", ChronoUnit.class, "seconds", "A unit");
  private static final ConfigKey<Path> FILE = ConfigKey.path("file", "A file").shownDefault("JVM default");
  private static final ConfigKey<Integer> PIN = ConfigKey.integer("pin", null, 0, 9999, "A PIN").masked();

  private static AdapterConfig config(Map<String, String> values) {
    return AdapterConfig.of("demo", List.of(POOL, TIMEOUT, TLS, UNIT, FILE, PIN), values);
  }

  @Test
  @DisplayName("returns typed values, its default when unset, and nothing for a key without default")
  void typedValues() {
    AdapterConfig c = config(Map.of("pool-size", "1_0", "tls.enabled", "TRUE", "unit", " Minutes ", "file", "/etc/ts.p12"));
    assertEquals(10, c.get(POOL));
    assertEquals(Duration.ofSeconds(10), c.get(TIMEOUT));
    assertTrue(c.get(TLS));
    assertEquals(ChronoUnit.MINUTES, c.get(UNIT));
    assertEquals(Path.of("/etc/ts.p12"), c.get(FILE));
    assertEquals(Optional.empty(), c.find(PIN));
    ConfigurationException e = assertThrows(ConfigurationException.class, () -> c.get(PIN));
    assertTrue(e.getMessage().contains("courier.demo.pin"), e.getMessage());
  }

  @Test
  @DisplayName("fails on a value out of range or of the wrong type, naming the full key, the rule and the value")
  void badValues() {
    ConfigurationException range = assertThrows(ConfigurationException.class, () -> config(Map.of("pool-size", "0")).get(POOL));
    assertTrue(range.getMessage().contains("'courier.demo.pool-size' must be an integer in [1, 256], was '0'"),
        range.getMessage());
    ConfigurationException zero = assertThrows(ConfigurationException.class, () -> config(Map.of("timeout", "0s")).get(TIMEOUT));
    assertTrue(zero.getMessage().contains("courier.demo.timeout") && zero.getMessage().contains("'0s'"), zero.getMessage());
    ConfigurationException unit = assertThrows(ConfigurationException.class, () -> config(Map.of("unit", "fortnights")).get(UNIT));
    assertTrue(unit.getMessage().contains("one of nanos") && unit.getMessage().contains("'fortnights'"), unit.getMessage());
    assertThrows(ConfigurationException.class, () -> config(Map.of("tls.enabled", "yes")).get(TLS));
  }

  @Test
  @DisplayName("never shows a secret key's value in an error about it")
  void secretMasked() {
    ConfigurationException e = assertThrows(ConfigurationException.class, () -> config(Map.of("pin", "hunter2")).get(PIN));
    assertTrue(e.getMessage().contains("courier.demo.pin"), e.getMessage());
    assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
  }

  @Test
  @DisplayName("gives builders its default and its check, naming the builder's parameter")
  void forBuilders() {
    assertEquals(4, POOL.parsedDefault());
    assertEquals(7, POOL.check("poolSize", 7));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> POOL.check("poolSize", 300));
    assertEquals("poolSize must be in [1, 256], was 300", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> TIMEOUT.check("timeout", Duration.ZERO));
    assertThrows(IllegalStateException.class, FILE::parsedDefault);
  }

  @Test
  @DisplayName("refuses a declaration whose default does not parse")
  void badDefault() {
    assertThrows(IllegalArgumentException.class, () -> ConfigKey.integer("n", "0", 1, 9, "N"));
    assertThrows(IllegalArgumentException.class, () -> ConfigKey.duration("d", "soon", "D"));
  }

  @Test
  @DisplayName("documents its default for the README: the value, a phrase, or a dash")
  void documentedDefault() {
    assertEquals("`10s`", TIMEOUT.documentedDefault());
    assertEquals("JVM default", FILE.documentedDefault());
    assertEquals("—", PIN.documentedDefault());
    assertEquals("— (required)", ConfigKey.required("host", "Host").documentedDefault());
  }

  @Test
  @DisplayName("typed setters: ifPresent passes set values and defaults, and turns a builder's refusal into an error naming the key")
  void ifPresent() {
    StringBuilder seen = new StringBuilder();
    AdapterConfig c = config(Map.of());
    c.ifPresent(POOL, seen::append);
    c.ifPresent(PIN, seen::append);
    assertEquals("4", seen.toString());
    ConfigurationException e = assertThrows(ConfigurationException.class, () -> c.ifPresent(TIMEOUT, d -> {
      throw new IllegalArgumentException("timeout too long for this broker");
    }));
    assertTrue(e.getMessage().contains("courier.demo.timeout") && e.getMessage().contains("too long"), e.getMessage());
  }
}
