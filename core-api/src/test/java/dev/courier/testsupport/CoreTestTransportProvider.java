package dev.courier.testsupport;

import dev.courier.config.AdapterConfig;
import dev.courier.config.ConfigKey;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportProvider;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Registered as {@code core-test} in this module's test class path, to test the wiring from
 * configuration (ServiceLoader lookup, config keys, Guice) without any broker. Each transport it
 * creates is remembered under its {@code courier.core-test.instance} value, so a test can look at
 * what Courier did to it.
 */
public final class CoreTestTransportProvider implements TransportProvider {
  public static final String NAME = "core-test";

  private static final Map<String, CoreTestTransport> CREATED = new ConcurrentHashMap<>();

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<ConfigKey<?>> configKeys() {
    return List.of(
        ConfigKey.optional("instance", "default", "Name under which the test can find the transport"),
        ConfigKey.optional("connect-timeout", "5s", "A duration, to test parsing"),
        ConfigKey.secret("password", "A secret, to test masking"));
  }

  @Override
  public Transport create(AdapterConfig config) {
    CoreTestTransport t = new CoreTestTransport(config);
    CREATED.put(config.get("instance"), t);
    return t;
  }

  /** The transport last created with {@code courier.core-test.instance=instance}. */
  public static Optional<CoreTestTransport> created(String instance) {
    return Optional.ofNullable(CREATED.get(instance));
  }
}
