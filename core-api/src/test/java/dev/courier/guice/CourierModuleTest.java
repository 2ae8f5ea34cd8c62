package dev.courier.guice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.inject.CreationException;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.ProvisionException;
import com.google.inject.Stage;
import com.google.inject.multibindings.Multibinder;
import dev.courier.Admin;
import dev.courier.ConfigurationException;
import dev.courier.Courier;
import dev.courier.CourierClosedException;
import dev.courier.CourierListener;
import dev.courier.DeliveryInterceptor;
import dev.courier.PublishInterceptor;
import dev.courier.Message;
import dev.courier.Publisher;
import dev.courier.Subscription;
import dev.courier.SubscriptionOptions;
import dev.courier.config.CourierConfig;
import dev.courier.testsupport.CoreTestTransport;
import dev.courier.testsupport.CoreTestTransportProvider;
import dev.courier.testsupport.ThrowawayClassPath;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("CourierModule")
class CourierModuleTest {
  /** An application class, as users write them. */
  static final class OrderService {
    private final Publisher publisher;

    @Inject
    OrderService(Publisher publisher) {
      this.publisher = publisher;
    }

    void placeOrder(String id) throws Exception {
      publisher.publish("orders", Message.builder().id(id).payload(new byte[] {1}).build()).get(5, TimeUnit.SECONDS);
    }
  }

  private final String instance = "guice-" + UUID.randomUUID();
  private Injector injector;

  @TempDir
  Path dir;

  @AfterEach
  void closeCourier() {
    if (injector != null) {
      injector.getInstance(Courier.class).close();
    }
  }

  private CourierModule module() {
    return new CourierModule(CourierConfig.builder().classpathFile(false)
        .set("courier.broker", "core-test").set("courier.core-test.instance", instance).build());
  }

  @Test
  @DisplayName("binds one Courier per injector, created from the configuration")
  void singleton() {
    injector = Guice.createInjector(module());
    Courier courier = injector.getInstance(Courier.class);
    assertSame(courier, injector.getInstance(Courier.class));
    assertEquals("core-test", courier.adapter());
    assertTrue(CoreTestTransportProvider.created(instance).isPresent());
  }

  @Test
  @DisplayName("binds that Courier's Publisher and Admin")
  void publisherAndAdmin() {
    injector = Guice.createInjector(module());
    Courier courier = injector.getInstance(Courier.class);
    assertSame(courier.publisher(), injector.getInstance(Publisher.class));
    assertSame(courier.admin(), injector.getInstance(Admin.class));
    injector.getInstance(Admin.class).ensureGroup("orders", "billing");
  }

  @Test
  @DisplayName("an application class gets a working Publisher with @Inject")
  void injectPublisher() throws Exception {
    injector = Guice.createInjector(module());
    injector.getInstance(OrderService.class).placeOrder("order-1");
  }

  @Test
  @DisplayName("closing the injector's Courier closes its subscriptions, the transport, and the injected Publisher")
  void closeClosesEverything() {
    injector = Guice.createInjector(module());
    Courier courier = injector.getInstance(Courier.class);
    Subscription subscription = courier.subscribe(
        SubscriptionOptions.builder("orders", "billing").drainTimeout(Duration.ofSeconds(1)).build(), delivery -> {});
    assertTrue(subscription.isOpen());
    CoreTestTransport transport = CoreTestTransportProvider.created(instance).orElseThrow();

    courier.close();

    assertFalse(subscription.isOpen(), "the subscription is closed");
    assertTrue(transport.receivers().get(0).isClosed(), "the subscription's receiver is closed");
    assertTrue(transport.isClosed(), "the transport is closed");
    Publisher publisher = injector.getInstance(Publisher.class);
    assertThrows(CourierClosedException.class, () -> publisher.publish("orders", Message.of(new byte[0])));
  }

  @Test
  @DisplayName("the no-argument constructor reads CourierConfig.load(), e.g. courier.properties on the class path")
  void loadsConfiguration() throws IOException {
    try (URLClassLoader cp = ThrowawayClassPath.with(dir, Map.of("courier.properties",
        "courier.broker=core-test\ncourier.core-test.instance=" + instance + "\n"))) {
      CourierModule module = ThrowawayClassPath.inContext(cp, CourierModule::new);
      injector = Guice.createInjector(module);
      assertEquals("core-test", injector.getInstance(Courier.class).adapter());
      assertTrue(CoreTestTransportProvider.created(instance).isPresent());
    }
  }

  @Test
  @DisplayName("a configuration error surfaces on first use as the ConfigurationException, or at start-up in PRODUCTION")
  void configurationErrors() {
    CourierModule bad = new CourierModule(CourierConfig.builder().classpathFile(false).set("courier.broker", "nope").build());
    Injector lazy = Guice.createInjector(bad);
    ProvisionException e = assertThrows(ProvisionException.class, () -> lazy.getInstance(Publisher.class));
    assertInstanceOf(ConfigurationException.class, e.getCause());
    assertTrue(e.getCause().getMessage().contains("core-test"), e.getCause().getMessage());

    CreationException atStart = assertThrows(CreationException.class, () -> Guice.createInjector(Stage.PRODUCTION, bad));
    assertTrue(atStart.getMessage().contains("nope"), atStart.getMessage());
  }

  @Test
  @DisplayName("a CourierListener bound in the injector hears about publishes")
  void listener() throws Exception {
    List<String> published = new CopyOnWriteArrayList<>();
    CourierListener recording = new CourierListener() {
      @Override
      public void published(String topic, Message message) {
        published.add(topic + "/" + message.id());
      }
    };
    injector = Guice.createInjector(module(), binder -> binder.bind(CourierListener.class).toInstance(recording));
    injector.getInstance(OrderService.class).placeOrder("order-2");
    awaitSize(published, 1);
    assertEquals(List.of("orders/order-2"), published);
  }

  @Test
  @DisplayName("adds multibound listeners and interceptors, the first bound outermost, beside the optional listener")
  void multibindings() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    CourierListener single = new CourierListener() {
      @Override
      public void published(String topic, Message message) {
        seen.add("single-listener:" + message.headers().get("order").orElse(""));
      }
    };
    CourierListener multi = new CourierListener() {
      @Override
      public void published(String topic, Message message) {
        seen.add("multi-listener:" + message.headers().get("order").orElse(""));
      }
    };
    PublishInterceptor outer = (topic, message, next) -> {
      seen.add("outer");
      return next.publish(message.toBuilder().header("order", "outer").build());
    };
    PublishInterceptor inner = (topic, message, next) -> {
      seen.add("inner");
      String before = message.headers().get("order").orElse("");
      return next.publish(message.toBuilder().header("order", before + ",inner").build());
    };
    DeliveryInterceptor delivery = (d, next) -> next.handle(d);
    injector = Guice.createInjector(module(), binder -> {
      binder.bind(CourierListener.class).toInstance(single);
      Multibinder.newSetBinder(binder, CourierListener.class).addBinding().toInstance(multi);
      Multibinder<PublishInterceptor> publishing = Multibinder.newSetBinder(binder, PublishInterceptor.class);
      publishing.addBinding().toInstance(outer);
      publishing.addBinding().toInstance(inner);
      Multibinder.newSetBinder(binder, DeliveryInterceptor.class).addBinding().toInstance(delivery);
    });
    injector.getInstance(OrderService.class).placeOrder("order-3");
    awaitSize(seen, 4);
    assertEquals(List.of("outer", "inner"), seen.subList(0, 2));
    assertEquals(List.of("multi-listener:outer,inner", "single-listener:outer,inner"),
        seen.subList(2, 4).stream().sorted().toList());
  }

  /** Listeners may be told just after the publish future completes: polls with a deadline. */
  private static void awaitSize(List<String> list, int size) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (list.size() < size && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
  }

  @Test
  @DisplayName("refuses a null configuration, naming it")
  void nullConfig() {
    assertEquals("config", assertThrows(NullPointerException.class, () -> new CourierModule(null)).getMessage());
  }
}
