package dev.courier.internal;

import dev.courier.ConfigurationException;
import dev.courier.spi.TransportProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** Finds {@link TransportProvider}s on the class path by name. */
public final class ProviderRegistry {
  private ProviderRegistry() {}

  /** Every provider, by name; a name registered twice fails, naming both classes. */
  public static Map<String, TransportProvider> providers(ClassLoader loader) {
    Map<String, TransportProvider> byName = new TreeMap<>();
    try {
      for (TransportProvider p : ServiceLoader.load(TransportProvider.class, loader)) {
        TransportProvider earlier = byName.putIfAbsent(p.name(), p);
        if (earlier != null) {
          throw new ConfigurationException("two adapters are registered under the name '" + p.name()
              + "': " + earlier.getClass().getName() + " and " + p.getClass().getName()
              + "; remove one from the class path");
        }
      }
    } catch (ServiceConfigurationError e) {
      throw new ConfigurationException("cannot load a Courier adapter: " + e.getMessage(), e);
    }
    return byName;
  }

  public static TransportProvider find(String name, ClassLoader loader) {
    Map<String, TransportProvider> all = providers(loader);
    TransportProvider p = all.get(name);
    if (p == null) {
      throw new ConfigurationException("no Courier adapter named '" + name + "'; available: "
          + (all.isEmpty() ? "none (add an adapter module such as courier-adapter-inmemory)" : new ArrayList<>(all.keySet()))
          + ". Set courier.broker (or COURIER_BROKER) to one of them");
    }
    return p;
  }

  public static List<String> names(ClassLoader loader) {
    return List.copyOf(providers(loader).keySet());
  }
}
