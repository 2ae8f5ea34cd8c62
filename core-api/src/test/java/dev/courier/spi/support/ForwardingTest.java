package dev.courier.spi.support;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.courier.spi.Transport;
import dev.courier.spi.TransportDelivery;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("ForwardingTransport and ForwardingDelivery")
class ForwardingTest {
  @Test
  @DisplayName("a ForwardingTransport hands every Transport method, defaults included, to its delegate")
  void transportForwardsEverything() throws Exception {
    assertForwardsEverything(Transport.class, d -> new ForwardingTransport(d) {});
  }

  @Test
  @DisplayName("a ForwardingDelivery hands every TransportDelivery method, defaults included, to its delegate")
  void deliveryForwardsEverything() throws Exception {
    assertForwardsEverything(TransportDelivery.class, d -> new ForwardingDelivery(d) {});
  }

  /**
   * Calls each method of {@code type} on the wrapper and checks that the delegate saw a call of
   * that name (a convenience overload may arrive as the overload it defaults to).
   */
  private static <T> void assertForwardsEverything(Class<T> type, Function<T, T> wrap) throws Exception {
    List<String> seen = new ArrayList<>();
    T delegate = type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, m, args) -> {
      seen.add(m.getName());
      return zero(m.getReturnType());
    }));
    T wrapper = wrap.apply(delegate);
    for (Method m : type.getMethods()) {
      if (Modifier.isStatic(m.getModifiers())) {
        continue;
      }
      seen.clear();
      Object[] args = new Object[m.getParameterCount()];
      for (int i = 0; i < args.length; i++) {
        args[i] = zero(m.getParameterTypes()[i]);
      }
      m.invoke(wrapper, args);
      assertEquals(List.of(m.getName()), seen, () -> m + " was not forwarded as itself");
    }
  }

  private static Object zero(Class<?> c) {
    if (c == boolean.class) {
      return false;
    }
    if (c == int.class) {
      return 0;
    }
    if (c == long.class) {
      return 0L;
    }
    return null;
  }
}
