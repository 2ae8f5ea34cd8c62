package dev.courier.spi;

import dev.courier.config.AdapterConfig;
import dev.courier.config.ConfigKey;
import java.util.List;

/**
 * Found through {@link java.util.ServiceLoader} (register the class in
 * {@code META-INF/services/dev.courier.spi.TransportProvider}); creates the adapter's
 * {@link Transport} from configuration. Must have a public no-argument constructor and do no I/O
 * until {@link #create}.
 */
public interface TransportProvider {
  /** Unique, stable name used in {@code courier.broker}: lower case, digits and '-'. */
  String name();

  /**
   * Every key the adapter reads under {@code courier.<name>.}, with defaults and descriptions.
   * Keys marked secret are masked wherever configuration is printed. Native client properties
   * under {@code courier.<name>.client.} need no declaration.
   */
  List<ConfigKey<?>> configKeys();

  /** Creates the transport; may connect. Fails with a ConfigurationException for bad values. */
  Transport create(AdapterConfig config);
}
