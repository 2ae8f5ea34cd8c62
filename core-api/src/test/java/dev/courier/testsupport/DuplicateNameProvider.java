package dev.courier.testsupport;

import dev.courier.config.AdapterConfig;
import dev.courier.config.ConfigKey;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportProvider;
import java.util.List;

/**
 * Claims the name {@code core-test} a second time. Not registered in this module's services file:
 * tests list it in a throwaway class loader's services file to provoke a duplicate.
 */
public final class DuplicateNameProvider implements TransportProvider {
  @Override
  public String name() {
    return CoreTestTransportProvider.NAME;
  }

  @Override
  public List<ConfigKey<?>> configKeys() {
    return List.of();
  }

  @Override
  public Transport create(AdapterConfig config) {
    throw new AssertionError("a duplicate provider must never be used");
  }
}
