package dev.courier.spi.support;

import dev.courier.Capabilities;
import dev.courier.GroupOptions;
import dev.courier.Message;
import dev.courier.spi.DeliverySink;
import dev.courier.spi.NamingRules;
import dev.courier.spi.ReceiveSpec;
import dev.courier.spi.Receiver;
import dev.courier.spi.Transport;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;

/**
 * A transport that forwards every {@link Transport} method to another one: a base for wrappers
 * that change a few (fault injection, renaming, counting), so a method added to the SPI is
 * forwarded by all of them instead of falling back to its default (a wrapper that forgot
 * {@code sendDelayed} would report delayed publish as unsupported by a transport that has it).
 * It does not implement {@link dev.courier.spi.TopicBrowser}: a wrapper of a browsable transport
 * that keeps peeking implements it and forwards {@code peek} itself.
 */
public abstract class ForwardingTransport implements Transport {
  private final Transport delegate;

  protected ForwardingTransport(Transport delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  protected final Transport delegate() {
    return delegate;
  }

  @Override
  public String name() {
    return delegate.name();
  }

  @Override
  public Capabilities capabilities() {
    return delegate.capabilities();
  }

  @Override
  public NamingRules naming() {
    return delegate.naming();
  }

  @Override
  public CompletableFuture<Void> send(String topic, Message message) {
    return delegate.send(topic, message);
  }

  @Override
  public List<CompletableFuture<Void>> sendAll(String topic, List<Message> messages) {
    return delegate.sendAll(topic, messages);
  }

  @Override
  public CompletableFuture<Void> sendDelayed(String topic, Message message, Duration delay) {
    return delegate.sendDelayed(topic, message, delay);
  }

  @Override
  public Receiver receive(ReceiveSpec spec, DeliverySink sink) {
    return delegate.receive(spec, sink);
  }

  @Override
  public void ensureTopic(String topic) {
    delegate.ensureTopic(topic);
  }

  @Override
  public void ensureGroup(String topic, String group, GroupOptions options) {
    delegate.ensureGroup(topic, group, options);
  }

  @Override
  public OptionalLong backlog(String topic, String group) {
    return delegate.backlog(topic, group);
  }

  @Override
  public void close() {
    delegate.close();
  }

  @Override
  public String toString() {
    return delegate.toString();
  }
}
