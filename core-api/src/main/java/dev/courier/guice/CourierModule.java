package dev.courier.guice;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.multibindings.Multibinder;
import com.google.inject.multibindings.OptionalBinder;
import dev.courier.Admin;
import dev.courier.Courier;
import dev.courier.CourierListener;
import dev.courier.DeliveryInterceptor;
import dev.courier.PublishInterceptor;
import dev.courier.Publisher;
import dev.courier.config.CourierConfig;
import jakarta.inject.Singleton;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Binds Courier for Guice applications, from configuration:
 * <ul>
 *   <li>{@link Courier}: a singleton, created from the configuration as by {@link Courier#fromConfig(CourierConfig)}, so
 *       {@code courier.broker} picks the adapter and {@code courier.<adapter>.*} configures it;</li>
 *   <li>{@link Publisher}: that Courier's {@link Courier#publisher()};</li>
 *   <li>{@link Admin}: that Courier's {@link Courier#admin()}.</li>
 * </ul>
 *
 * <pre>{@code
 * Injector injector = Guice.createInjector(new CourierModule());
 *
 * class OrderService {
 *   @Inject Publisher publisher;   // jakarta.inject.Inject
 * }
 * ...
 * injector.getInstance(Courier.class).close();   // at shutdown
 * }</pre>
 *
 * <p><b>Lifecycle.</b> Guice has no shutdown hook, so the application owns the Courier: close the
 * injector's {@code Courier} at shutdown. That one call drains and closes every subscription made
 * through it and then the adapter's connections; the injected {@code Publisher} and {@code Admin}
 * belong to it and stop working at the same time (they throw {@link dev.courier.CourierClosedException}).
 * Do not close anything else.
 *
 * <p><b>When the broker is contacted.</b> The Courier is created when it, the Publisher or the
 * Admin is first injected (or at injector creation in {@link com.google.inject.Stage#PRODUCTION}).
 * Configuration errors (no {@code courier.broker}, an unknown adapter, an unknown or missing key)
 * then surface as a Guice {@code ProvisionException} whose cause is a
 * {@link dev.courier.ConfigurationException} naming the problem.
 *
 * <p><b>Listeners and interceptors.</b> If the injector has a binding for {@link CourierListener},
 * the Courier reports to it: {@code bind(CourierListener.class).to(MetricsListener.class)}. Further
 * listeners, and {@link DeliveryInterceptor}s and {@link PublishInterceptor}s, are added through
 * Guice multibindings, in the order they are bound (the first bound is outermost):
 * <pre>{@code
 * Multibinder.newSetBinder(binder(), DeliveryInterceptor.class).addBinding().to(TimingInterceptor.class);
 * Multibinder.newSetBinder(binder(), CourierListener.class).addBinding().to(AuditListener.class);
 * }</pre>
 *
 * <p>Install the module once per injector. To subscribe, inject the {@code Courier} and call
 * {@link Courier#subscribe}.
 */
public final class CourierModule extends AbstractModule {
  private final CourierConfig config;

  /** Configuration from {@link CourierConfig#load()}: class-path file, config file, environment, system properties. */
  public CourierModule() {
    this(CourierConfig.load());
  }

  /** Configuration given explicitly. */
  public CourierModule(CourierConfig config) {
    this.config = Objects.requireNonNull(config, "config");
  }

  @Override
  protected void configure() {
    OptionalBinder.newOptionalBinder(binder(), CourierListener.class);
    Multibinder.newSetBinder(binder(), CourierListener.class);
    Multibinder.newSetBinder(binder(), DeliveryInterceptor.class);
    Multibinder.newSetBinder(binder(), PublishInterceptor.class);
  }

  @Provides
  @Singleton
  Courier courier(Optional<CourierListener> listener, Set<CourierListener> listeners,
      Set<DeliveryInterceptor> deliveryInterceptors, Set<PublishInterceptor> publishInterceptors) {
    Courier.Builder builder = Courier.builder().config(config);
    Set<CourierListener> all = new LinkedHashSet<>(); // one bound both ways is added once
    listener.ifPresent(all::add);
    all.addAll(listeners);
    all.forEach(builder::listener);
    deliveryInterceptors.forEach(builder::deliveryInterceptor);
    publishInterceptors.forEach(builder::publishInterceptor);
    return builder.build();
  }

  @Provides
  Publisher publisher(Courier courier) {
    return courier.publisher();
  }

  @Provides
  Admin admin(Courier courier) {
    return courier.admin();
  }

  @Override
  public String toString() {
    return "CourierModule{" + config + '}';
  }
}
