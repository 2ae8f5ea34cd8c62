package dev.courier.inmemory.reliability;

import dev.courier.Capabilities;
import dev.courier.Message;
import dev.courier.PublishException;
import dev.courier.inmemory.InMemoryTransport;
import dev.courier.spi.DeliverySink;
import dev.courier.spi.NamingRules;
import dev.courier.spi.ReceiveSpec;
import dev.courier.spi.Receiver;
import dev.courier.spi.TopicBrowser;
import dev.courier.spi.Transport;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiPredicate;

/**
 * A real in-memory transport with injectable faults: sends to the topics in {@link #failSendsTo},
 * and those {@link #refuse} matches, fail as a broker refusal would; with {@link #backlogUnknown} it
 * cannot count a group's backlog, as Pub/Sub cannot. Everything else is delegated unchanged.
 */
final class FaultyTransport implements Transport, TopicBrowser {
  final InMemoryTransport delegate;
  final Set<String> failSendsTo = ConcurrentHashMap.newKeySet();
  /** Sends this refuses (topic, message) fail as a broker refusal would; none by default. */
  volatile BiPredicate<String, Message> refuse = (topic, message) -> false;
  volatile boolean backlogUnknown;
  /** Batches to these topics make sendAll throw, as an adapter refusing a batch outright would. */
  final Set<String> throwOnBatchTo = ConcurrentHashMap.newKeySet();
  /** Sends to these topics are never confirmed, as when a broker stops answering. */
  final Set<String> hangSendsTo = ConcurrentHashMap.newKeySet();

  FaultyTransport(InMemoryTransport delegate) {
    this.delegate = delegate;
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
    if (failSendsTo.contains(topic) || refuse.test(topic, message)) {
      return CompletableFuture.failedFuture(new PublishException("injected fault: broker refused " + topic));
    }
    if (hangSendsTo.contains(topic)) {
      return new CompletableFuture<>();
    }
    return delegate.send(topic, message);
  }

  @Override
  public List<CompletableFuture<Void>> sendAll(String topic, List<Message> messages) {
    if (throwOnBatchTo.contains(topic)) {
      throw new IllegalStateException("injected fault: the adapter refused the batch to " + topic);
    }
    return Transport.super.sendAll(topic, messages);
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
  public void ensureGroup(String topic, String group, dev.courier.GroupOptions options) {
    delegate.ensureGroup(topic, group, options);
  }

  @Override
  public java.util.OptionalLong backlog(String topic, String group) {
    return backlogUnknown ? java.util.OptionalLong.empty() : delegate.backlog(topic, group);
  }

  @Override
  public List<Message> peek(String topic, String group, int max) {
    return delegate.peek(topic, group, max);
  }

  @Override
  public void close() {
    delegate.close();
  }
}
