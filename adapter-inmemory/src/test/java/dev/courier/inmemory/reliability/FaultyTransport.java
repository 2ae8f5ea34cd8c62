package dev.courier.inmemory.reliability;

import dev.courier.Message;
import dev.courier.PublishException;
import dev.courier.inmemory.InMemoryTransport;
import dev.courier.spi.TopicBrowser;
import dev.courier.spi.support.ForwardingTransport;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiPredicate;

/**
 * A real in-memory transport with injectable faults: sends to the topics in {@link #failSendsTo},
 * and those {@link #refuse} matches, fail as a broker refusal would; with {@link #backlogUnknown} it
 * cannot count a group's backlog, as Pub/Sub cannot. Everything else is delegated unchanged.
 */
final class FaultyTransport extends ForwardingTransport implements TopicBrowser {
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
    super(delegate);
    this.delegate = delegate;
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
    return messages.stream().map(m -> send(topic, m)).toList();
  }

  @Override
  public OptionalLong backlog(String topic, String group) {
    return backlogUnknown ? OptionalLong.empty() : delegate.backlog(topic, group);
  }

  @Override
  public List<Message> peek(String topic, String group, int max) {
    return delegate.peek(topic, group, max);
  }
}
