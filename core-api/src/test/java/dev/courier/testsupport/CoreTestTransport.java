package dev.courier.testsupport;

import dev.courier.Capabilities;
import dev.courier.Message;
import dev.courier.config.AdapterConfig;
import dev.courier.spi.DeliverySink;
import dev.courier.spi.NamingRules;
import dev.courier.spi.ReceiveSpec;
import dev.courier.spi.Receiver;
import dev.courier.spi.Transport;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A transport that moves nothing: sends are confirmed and forgotten, receivers never deliver. It
 * only records how many messages it was given and whether Courier closed it and its receivers, for
 * wiring tests.
 */
public final class CoreTestTransport implements Transport {
  private final AdapterConfig config;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final List<TestReceiver> receivers = new CopyOnWriteArrayList<>();
  private final AtomicInteger sent = new AtomicInteger();
  private final Capabilities capabilities;
  private final java.util.concurrent.atomic.AtomicReference<Runnable> onNaming = new java.util.concurrent.atomic.AtomicReference<>();

  CoreTestTransport(AdapterConfig config) {
    this(config, Capabilities.builder().build());
  }

  private CoreTestTransport(AdapterConfig config, Capabilities capabilities) {
    this.config = config;
    this.capabilities = capabilities;
  }

  /** A transport declaring {@code capabilities}, for {@code Courier.builder().transport(...)}. */
  public static CoreTestTransport declaring(Capabilities capabilities) {
    return new CoreTestTransport(null, capabilities);
  }

  public AdapterConfig config() {
    return config;
  }

  public boolean isClosed() {
    return closed.get();
  }

  /** How many messages were handed to {@link #send}. */
  public int sent() {
    return sent.get();
  }

  public List<TestReceiver> receivers() {
    return List.copyOf(receivers);
  }

  @Override
  public String name() {
    return CoreTestTransportProvider.NAME;
  }

  @Override
  public Capabilities capabilities() {
    return capabilities;
  }

  /** Runs {@code hook} inside the next call of {@link #naming()}, once: a seam into Courier's subscribe. */
  public void onNextNaming(Runnable hook) {
    onNaming.set(hook);
  }

  @Override
  public NamingRules naming() {
    Runnable hook = onNaming.getAndSet(null);
    if (hook != null) {
      hook.run();
    }
    return NamingRules.standard();
  }

  @Override
  public CompletableFuture<Void> send(String topic, Message message) {
    sent.incrementAndGet();
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletableFuture<Void> sendDelayed(String topic, Message message, java.time.Duration delay) {
    return send(topic, message);
  }

  @Override
  public Receiver receive(ReceiveSpec spec, DeliverySink sink) {
    TestReceiver r = new TestReceiver();
    receivers.add(r);
    return r;
  }

  @Override
  public void ensureTopic(String topic) {}

  @Override
  public void ensureGroup(String topic, String group, dev.courier.GroupOptions options) {}

  @Override
  public java.util.OptionalLong backlog(String topic, String group) {
    return java.util.OptionalLong.of(0);
  }

  @Override
  public void close() {
    closed.set(true);
    receivers.forEach(TestReceiver::close);
  }

  /** Records stopFetching and close. */
  public static final class TestReceiver implements Receiver {
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();

    public boolean isStopped() {
      return stopped.get();
    }

    public boolean isClosed() {
      return closed.get();
    }

    @Override
    public void stopFetching() {
      stopped.set(true);
    }

    @Override
    public void close() {
      stopped.set(true);
      closed.set(true);
    }
  }
}
