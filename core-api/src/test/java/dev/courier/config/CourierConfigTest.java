package dev.courier.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.ConfigurationException;
import dev.courier.testsupport.ThrowawayClassPath;
import java.io.IOException;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("CourierConfig")
class CourierConfigTest {
  private static final String KEY = "courier.test.level";

  @TempDir
  Path dir;

  private static Properties props(String... keyValues) {
    Properties p = new Properties();
    for (int i = 0; i < keyValues.length; i += 2) {
      p.setProperty(keyValues[i], keyValues[i + 1]);
    }
    return p;
  }

  private Path file(String name, String content) throws IOException {
    Path f = dir.resolve(name);
    Files.writeString(f, content);
    return f;
  }

  @Nested
  @DisplayName("precedence")
  class Precedence {
    /**
     * Builds a config where every source from the highest down to {@code highest} (1 = explicit,
     * 2 = system, 3 = environment, 4 = file, 5 = class path) sets {@link #KEY} to its own name.
     */
    private CourierConfig layered(int highest) throws IOException {
      Path file = file("app.properties", KEY + "=file\n");
      Path cpDir = Files.createDirectories(dir.resolve("cp"));
      try (URLClassLoader cp = ThrowawayClassPath.with(cpDir, Map.of("courier.properties", KEY + "=classpath\n"))) {
        return ThrowawayClassPath.inContext(cp, () -> {
          CourierConfig.Builder b = CourierConfig.builder();
          Map<String, String> env = new HashMap<>();
          env.put("COURIER_CONFIG", file.toString());
          if (highest <= 3) {
            env.put("COURIER_TEST_LEVEL", "environment");
          }
          b.environment(env);
          if (highest <= 2) {
            b.systemProperties(props(KEY, "system"));
          }
          if (highest <= 1) {
            b.set(KEY, "explicit");
          }
          return b.build();
        });
      }
    }

    @Test
    @DisplayName("explicit > system properties > environment > file > class-path courier.properties")
    void order() throws IOException {
      assertEquals(Optional.of("explicit"), layered(1).get(KEY));
      assertEquals(Optional.of("system"), layered(2).get(KEY));
      assertEquals(Optional.of("environment"), layered(3).get(KEY));
      assertEquals(Optional.of("file"), layered(4).get(KEY));
    }

    @Test
    @DisplayName("the class-path courier.properties is the last resort")
    void classpathLast() throws IOException {
      Path cpDir = Files.createDirectories(dir.resolve("cp-only"));
      try (URLClassLoader cp = ThrowawayClassPath.with(cpDir,
          Map.of("courier.properties", KEY + "=classpath\ncourier.broker=from-classpath\n"))) {
        CourierConfig c = ThrowawayClassPath.inContext(cp, () -> CourierConfig.builder().build());
        assertEquals(Optional.of("classpath"), c.get(KEY));
        assertEquals(Optional.of("from-classpath"), c.broker());
        CourierConfig skipped = ThrowawayClassPath.inContext(cp, () -> CourierConfig.builder().classpathFile(false).build());
        assertEquals(Optional.empty(), skipped.get(KEY));
      }
    }

    @Test
    @DisplayName("the same order holds for adapter keys and client properties")
    void adapterKeys() throws IOException {
      List<ConfigKey<?>> keys = List.of(ConfigKey.optional("host", "localhost", "Host"));
      Path file = file("a.properties", "courier.demo.host=file-host\ncourier.demo.client.linger.ms=1\n");
      CourierConfig c = CourierConfig.builder().classpathFile(false)
          .environment(Map.of("COURIER_CONFIG", file.toString(), "COURIER_DEMO_HOST", "env-host",
              "COURIER_DEMO_CLIENT_LINGER_MS", "2"))
          .build();
      AdapterConfig a = c.forAdapter("demo", keys);
      assertEquals("env-host", a.get("host"));
      assertEquals(Map.of("linger.ms", "2"), a.clientProperties());

      AdapterConfig withSystem = CourierConfig.builder().classpathFile(false)
          .environment(Map.of("COURIER_DEMO_HOST", "env-host", "COURIER_DEMO_CLIENT_LINGER_MS", "2"))
          .systemProperties(props("courier.demo.host", "system-host", "courier.demo.client.linger.ms", "3"))
          .build().forAdapter("demo", keys);
      assertEquals("system-host", withSystem.get("host"));
      assertEquals(Map.of("linger.ms", "3"), withSystem.clientProperties());

      assertEquals("localhost", CourierConfig.builder().classpathFile(false).build().forAdapter("demo", keys).get("host"));
    }

    @Test
    @DisplayName("properties given to the builder replace the file named by courier.config")
    void explicitProperties() throws IOException {
      Path file = file("named.properties", KEY + "=named\n");
      CourierConfig c = CourierConfig.builder().classpathFile(false).set(CourierConfig.CONFIG_FILE, file.toString())
          .properties(props(KEY, "given")).build();
      assertEquals(Optional.of("given"), c.get(KEY));
    }

    @Test
    @DisplayName("ignores system properties and environment variables outside courier.* / COURIER_*")
    void onlyCourierKeys() {
      CourierConfig c = CourierConfig.builder().classpathFile(false)
          .systemProperties(props("user.home", "/home/x", "courier.broker", "kafka"))
          .environment(Map.of("PATH", "/bin", "COURIER_PUBLISH_TIMEOUT", "5s"))
          .build();
      String s = c.toString();
      assertFalse(s.contains("user.home") || s.contains("PATH"), s);
      assertEquals(Optional.of("kafka"), c.broker());
      assertEquals(Duration.ofSeconds(5), c.publishTimeout());
    }
  }

  @Nested
  @DisplayName("environment names")
  class EnvironmentNames {
    @Test
    @DisplayName("are the key upper-cased with '.' and '-' turned into '_'")
    void mapping() {
      assertEquals("COURIER_BROKER", CourierConfig.environmentName("courier.broker"));
      assertEquals("COURIER_GCP_PUBSUB_PROJECT_ID", CourierConfig.environmentName("courier.gcp-pubsub.project-id"));
      assertEquals("COURIER_RABBITMQ_PASSWORD", ConfigKey.secret("password", "p").environmentName("rabbitmq"));
    }

    @Test
    @DisplayName("COURIER_KAFKA_CLIENT_LINGER_MS becomes the client property linger.ms")
    void clientProperty() {
      CourierConfig c = CourierConfig.builder().classpathFile(false)
          .environment(Map.of("COURIER_KAFKA_CLIENT_LINGER_MS", "20", "COURIER_KAFKA_CLIENT_SASL_JAAS_CONFIG", "x"))
          .build();
      AdapterConfig kafka = c.forAdapter("kafka", List.of());
      assertEquals(Map.of("linger.ms", "20", "sasl.jaas.config", "x"), kafka.clientProperties());
      assertEquals(Optional.of("20"), c.get("courier.kafka.client.linger.ms"));
    }

    @Test
    @DisplayName("a declared key named like a client property (client-id) is that key, not also a client property")
    void declaredKeyShadowsClientPrefix() {
      CourierConfig c = CourierConfig.builder().classpathFile(false)
          .environment(Map.of("COURIER_KAFKA_CLIENT_ID", "app-1", "COURIER_KAFKA_CLIENT_ACKS", "all"))
          .build();
      AdapterConfig kafka = c.forAdapter("kafka", List.of(ConfigKey.optional("client-id", null, "Client id")));
      assertEquals("app-1", kafka.get("client-id"));
      assertEquals(Map.of("acks", "all"), kafka.clientProperties());
    }

    @Test
    @DisplayName("COURIER_BROKER selects the broker and a declared key of a hyphenated adapter is found")
    void declaredKeys() {
      CourierConfig c = CourierConfig.builder().classpathFile(false)
          .environment(Map.of("COURIER_BROKER", "gcp-pubsub", "COURIER_GCP_PUBSUB_PROJECT_ID", "p-1"))
          .build();
      assertEquals(Optional.of("gcp-pubsub"), c.broker());
      assertEquals("p-1", c.forAdapter("gcp-pubsub", List.of(ConfigKey.required("project-id", "Project"))).get("project-id"));
    }
  }

  @Nested
  @DisplayName("errors")
  class Errors {
    @Test
    @DisplayName("an unknown key under an adapter's prefix fails, listing the keys it reads")
    void unknownAdapterKey() {
      CourierConfig c = CourierConfig.builder().classpathFile(false).set("courier.demo.hots", "x").build();
      ConfigurationException e = assertThrows(ConfigurationException.class, () -> c.forAdapter("demo",
          List.of(ConfigKey.optional("host", "localhost", "Host"), ConfigKey.optional("port", "1", "Port"))));
      assertTrue(e.getMessage().contains("courier.demo.hots"), e.getMessage());
      assertTrue(e.getMessage().contains("[host, port]"), e.getMessage());
      assertTrue(e.getMessage().contains("courier.demo.client."), e.getMessage());
    }

    @Test
    @DisplayName("a missing required key fails, naming the key and its environment variable")
    void missingRequired() {
      CourierConfig c = CourierConfig.builder().classpathFile(false).build();
      ConfigurationException e = assertThrows(ConfigurationException.class,
          () -> c.forAdapter("sqs", List.of(ConfigKey.required("region", "AWS region"))));
      assertTrue(e.getMessage().contains("courier.sqs.region"), e.getMessage());
      assertTrue(e.getMessage().contains("COURIER_SQS_REGION"), e.getMessage());
    }

    @Test
    @DisplayName("a courier.config file that does not exist fails, naming it")
    void missingFile() {
      Path missing = dir.resolve("nope.properties");
      ConfigurationException e = assertThrows(ConfigurationException.class, () -> CourierConfig.builder()
          .classpathFile(false).environment(Map.of("COURIER_CONFIG", missing.toString())).build());
      assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }

    @Test
    @DisplayName("keys set in code must start with 'courier.' and values must not be null")
    void badExplicitKeys() {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CourierConfig.builder().set("broker", "x"));
      assertTrue(e.getMessage().contains("broker"), e.getMessage());
      assertEquals("key", assertThrows(NullPointerException.class, () -> CourierConfig.builder().set(null, "x")).getMessage());
      NullPointerException v = assertThrows(NullPointerException.class, () -> CourierConfig.builder().set("courier.broker", null));
      assertTrue(v.getMessage().contains("courier.broker"), v.getMessage());
    }

    @ParameterizedTest(name = "\"{0}\" is refused")
    @ValueSource(strings = {"courier.publish-timout", "courier.brokr", "courier.broker.name", "courier.config.file"})
    @DisplayName("an unknown top-level key fails, naming it and listing the valid keys")
    void unknownTopLevelKey(String key) {
      ConfigurationException e = assertThrows(ConfigurationException.class,
          () -> CourierConfig.builder().classpathFile(false).set(key, "30s").build());
      assertTrue(e.getMessage().contains("'" + key + "'"), e.getMessage());
      for (String valid : List.of(CourierConfig.BROKER, CourierConfig.PUBLISH_TIMEOUT, CourierConfig.CONFIG_FILE)) {
        assertTrue(e.getMessage().contains(valid), e.getMessage());
      }
      assertThrows(ConfigurationException.class,
          () -> CourierConfig.builder().classpathFile(false).systemProperties(props(key, "x")).build());
      assertThrows(ConfigurationException.class,
          () -> CourierConfig.builder().classpathFile(false).properties(props(key, "x")).build());
    }

    @Test
    @DisplayName("environment variables are not checked for unknown keys: other tools' COURIER_ variables do not break start-up")
    void unrelatedEnvironment() {
      CourierConfig c = CourierConfig.builder().classpathFile(false)
          .environment(Map.of("COURIER_PUBLISH_TIMOUT", "1s", "COURIER_HOME", "/opt/courier", "COURIER_BROKER", "kafka"))
          .build();
      assertEquals(Optional.of("kafka"), c.broker());
    }

    @Test
    @DisplayName("keys of adapters and known top-level keys are accepted")
    void knownKeys() {
      CourierConfig c = CourierConfig.builder().classpathFile(false).set("courier.broker", "kafka")
          .set("courier.publish-timeout", "5s").set("courier.kafka.bootstrap-servers", "localhost:9092")
          .set("courier.rabbitmq.uri", "amqp://localhost").build();
      assertEquals(Duration.ofSeconds(5), c.publishTimeout());
    }

    @Test
    @DisplayName("a blank courier.broker counts as unset")
    void blankBroker() {
      assertEquals(Optional.empty(), CourierConfig.builder().classpathFile(false).set("courier.broker", "  ").build().broker());
    }
  }

  @Nested
  @DisplayName("publish timeout")
  class PublishTimeout {
    @Test
    @DisplayName("defaults to 30 seconds and accepts short forms and ISO-8601")
    void parses() {
      assertEquals(Duration.ofSeconds(30), CourierConfig.builder().classpathFile(false).build().publishTimeout());
      assertEquals(Duration.ofMillis(250), timeout("250ms"));
      assertEquals(Duration.ofMinutes(2), timeout(" 2m "));
      assertEquals(Duration.ofSeconds(45), timeout("PT45S"));
    }

    @ParameterizedTest(name = "\"{0}\" is refused")
    @ValueSource(strings = {"0s", "-1s", "PT-1S", "soon", "", "99999999999999999999s", "9999999999999999d",
      "9999999999999d", "9223372036854775807ms"})
    @DisplayName("must be a positive duration, and the error names the key and the bad value")
    void refuses(String value) {
      ConfigurationException e = assertThrows(ConfigurationException.class, () -> timeout(value));
      assertTrue(e.getMessage().contains(CourierConfig.PUBLISH_TIMEOUT), e.getMessage());
      assertTrue(e.getMessage().contains("'" + value + "'"), e.getMessage());
    }

    private Duration timeout(String value) {
      return CourierConfig.builder().classpathFile(false).set(CourierConfig.PUBLISH_TIMEOUT, value).build().publishTimeout();
    }
  }

  @Nested
  @DisplayName("toString")
  class Masking {
    @Test
    @DisplayName("masks secrets from every source, by name, and passwords inside URIs")
    void masks() {
      CourierConfig c = CourierConfig.builder().classpathFile(false)
          .set("courier.rabbitmq.password", "pw-explicit")
          .set("courier.rabbitmq.uri", "amqp://app:pw-in-uri@localhost:5672/vhost")
          .set("courier.kafka.client.ssl.keystore.key", "-----BEGIN PRIVATE KEY----- pem-body")
          .systemProperties(props(
              "courier.kafka.client.sasl.jaas.config", "org.apache...PlainLoginModule required password=\"jaas-pw\";",
              "courier.kafka.client.ssl.key.password", "ssl-key-pw",
              "courier.kafka.client.bootstrap.servers", "localhost:9092"))
          .environment(Map.of("COURIER_SQS_SECRET_ACCESS_KEY", "aws-secret", "COURIER_DEMO_API_KEY", "api-key-value",
              "COURIER_GCP_PUBSUB_CREDENTIALS_JSON", "{\"private_key\":\"gcp-pk\"}", "COURIER_DEMO_AUTH_TOKEN", "tok-value"))
          .build();
      String s = c.toString();
      for (String secret : List.of("pw-explicit", "pw-in-uri", "pem-body", "jaas-pw", "ssl-key-pw", "aws-secret",
          "api-key-value", "gcp-pk", "tok-value")) {
        assertFalse(s.contains(secret), "leaked " + secret + " in " + s);
      }
      assertTrue(s.contains("localhost:9092"), "non-secret values stay visible: " + s);
      assertTrue(s.contains("amqp://****@localhost:5672/vhost"), "the rest of a URI stays visible: " + s);
      assertTrue(s.contains("courier.rabbitmq.password"), "secret keys are still listed: " + s);
    }

    @Test
    @DisplayName("masks the whole user-info of a URI, up to the last '@' before the host")
    void masksWholeUserInfo() {
      String s = CourierConfig.builder().classpathFile(false)
          .set("courier.rabbitmq.uri", "amqp://alice:S3cret@x@host/").build().toString();
      assertFalse(s.contains("S3cret"), s);
      assertFalse(s.contains("@x@"), s);
      assertTrue(s.contains("amqp://****@host/"), s);
    }
  }
}
