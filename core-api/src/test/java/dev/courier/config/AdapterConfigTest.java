package dev.courier.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.ConfigurationException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("AdapterConfig")
class AdapterConfigTest {
  private static final List<ConfigKey<?>> KEYS = List.of(
      ConfigKey.required("host", "Broker host"),
      ConfigKey.optional("port", "5672", "Broker port"),
      ConfigKey.optional("timeout", "30s", "A duration"),
      ConfigKey.optional("enabled", "true", "A flag"),
      ConfigKey.optional("comment", null, "No default"),
      ConfigKey.secret("password", "The password"),
      ConfigKey.secret("sas", "A secret whose name does not look secret"));

  private static AdapterConfig config(String... keyValues) {
    Map<String, String> values = new HashMap<>();
    values.put("host", "localhost");
    for (int i = 0; i < keyValues.length; i += 2) {
      values.put(keyValues[i], keyValues[i + 1]);
    }
    return AdapterConfig.of("demo", KEYS, values);
  }

  @Test
  @DisplayName("applies defaults and leaves keys without one empty")
  void defaults() {
    AdapterConfig c = config();
    assertEquals(5672, c.getInt("port"));
    assertEquals(Duration.ofSeconds(30), c.getDuration("timeout"));
    assertTrue(c.getBoolean("enabled"));
    assertEquals(Optional.empty(), c.find("comment"));
    ConfigurationException e = assertThrows(ConfigurationException.class, () -> c.get("comment"));
    assertTrue(e.getMessage().contains("courier.demo.comment"), e.getMessage());
  }

  @Test
  @DisplayName("refuses to read a key the adapter did not declare, naming it")
  void undeclaredRead() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> config().find("hots"));
    assertTrue(e.getMessage().contains("hots"), e.getMessage());
  }

  @Test
  @DisplayName("refuses an unknown key, listing the keys the adapter reads")
  void unknownKey() {
    ConfigurationException e = assertThrows(ConfigurationException.class, () -> config("passwrd", "x"));
    assertTrue(e.getMessage().contains("courier.demo.passwrd"), e.getMessage());
    assertTrue(e.getMessage().contains("[host, port, timeout, enabled, comment, password, sas]"), e.getMessage());
    assertFalse(e.getMessage().contains("'x'"), "values are not echoed: " + e.getMessage());
  }

  @Test
  @DisplayName("refuses a missing required key, naming it, its environment variable and its description")
  void missingRequired() {
    ConfigurationException e = assertThrows(ConfigurationException.class, () -> AdapterConfig.of("demo", KEYS, Map.of()));
    assertTrue(e.getMessage().contains("courier.demo.host"), e.getMessage());
    assertTrue(e.getMessage().contains("COURIER_DEMO_HOST"), e.getMessage());
    assertTrue(e.getMessage().contains("Broker host"), e.getMessage());
  }

  @Test
  @DisplayName("refuses a key declared twice")
  void declaredTwice() {
    List<ConfigKey<?>> twice = List.of(ConfigKey.optional("a", "1", "x"), ConfigKey.optional("a", "2", "y"));
    assertThrows(IllegalArgumentException.class, () -> AdapterConfig.of("demo", twice, Map.of()));
  }

  @ParameterizedTest(name = "\"{0}\" is {1} ms")
  @CsvSource({"250ms, 250", "30s, 30000", "5m, 300000", "2h, 7200000", "1d, 86400000", "PT1.5S, 1500", "'10 s', 10000", "0s, 0",
      "36500d, 3153600000000"})
  @DisplayName("parses durations in short and ISO-8601 forms")
  void durations(String value, long millis) {
    assertEquals(Duration.ofMillis(millis), config("timeout", value).getDuration("timeout"));
  }

  @ParameterizedTest(name = "\"{0}\" is refused")
  @ValueSource(strings = {"30", "30x", "-5s", "soon", "1.5s", "9999999999999999d", "9999999999999d",
      "36501d", "9223372036854775807ms", "PT876600000H"})
  @DisplayName("refuses malformed durations with a ConfigurationException naming the key and value")
  void badDurations(String value) {
    ConfigurationException e = assertThrows(ConfigurationException.class, () -> config("timeout", value).getDuration("timeout"));
    assertTrue(e.getMessage().contains("courier.demo.timeout"), e.getMessage());
    assertTrue(e.getMessage().contains(value), e.getMessage());
  }

  @Test
  @DisplayName("refuses malformed numbers and booleans, naming the key")
  void badNumbers() {
    assertEquals(1_000, config("port", "1_000").getInt("port"));
    assertThrows(ConfigurationException.class, () -> config("port", "five").getInt("port"));
    assertThrows(ConfigurationException.class, () -> config("port", "99999999999").getInt("port"));
    assertThrows(ConfigurationException.class, () -> config("enabled", "yes").getBoolean("enabled"));
  }

  @Test
  @DisplayName("never shows a secret's value in an error about it")
  void secretNotInError() {
    AdapterConfig c = AdapterConfig.of("demo", List.of(ConfigKey.secret("password", "p")), Map.of("password", "hunter2"));
    ConfigurationException e = assertThrows(ConfigurationException.class, () -> c.getInt("password"));
    assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
  }

  @Test
  @DisplayName("separates client properties and keeps them unmodifiable")
  void clientProperties() {
    AdapterConfig c = config("client.linger.ms", "5", "client.acks", "all");
    assertEquals(Map.of("linger.ms", "5", "acks", "all"), c.clientProperties());
    assertThrows(UnsupportedOperationException.class, () -> c.clientProperties().put("x", "y"));
  }

  @Test
  @DisplayName("masks declared secrets and secret-looking client properties in toString")
  void masking() {
    AdapterConfig c = config("password", "pw-1", "sas", "sas-2",
        "client.sasl.jaas.config", "PlainLoginModule required password=\"jaas-3\";",
        "client.ssl.key.password", "ssl-4", "client.ssl.keystore.key", "pem-5",
        "client.basic.auth.user.info", "user:info-6", "client.linger.ms", "7");
    String s = c.toString();
    for (String secret : List.of("pw-1", "sas-2", "jaas-3", "ssl-4", "pem-5", "info-6")) {
      assertFalse(s.contains(secret), "leaked " + secret + " in " + s);
    }
    assertTrue(s.contains("linger.ms=7"), s);
    assertTrue(s.contains("host=localhost"), s);
  }
}
