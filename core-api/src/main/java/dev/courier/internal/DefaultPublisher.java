package dev.courier.internal;

import dev.courier.Capability;
import dev.courier.CourierClosedException;
import dev.courier.CourierListener;
import dev.courier.Message;
import dev.courier.PublishException;
import dev.courier.PublishInterceptor;
import dev.courier.Publisher;
import dev.courier.UnsupportedCapabilityException;
import dev.courier.spi.Transport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Runs the publish interceptors, validates, sends through the transport, bounds the wait for
 * confirmation, reports the outcome to the listeners. Counts the publishes
 * being handed to the transport, so {@link #flush} knows when no new one can appear: a publish
 * either sees the Courier closed and fails at once, or is counted before close looks.
 */
public final class DefaultPublisher implements Publisher {
  private static final long SUBMIT_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  private final Transport transport;
  private final MessageValidator validator;
  private final PublishTimeouts timeouts;
  private final Extensions extensions;
  private final BooleanSupplier open;
  private final AtomicInteger submitting = new AtomicInteger();

  public DefaultPublisher(Transport transport, PublishTimeouts timeouts, Extensions extensions, BooleanSupplier open) {
    this.transport = transport;
    this.validator = new MessageValidator(transport.name(), transport.capabilities());
    this.timeouts = timeouts;
    this.extensions = extensions;
    this.open = open;
  }

  @Override
  public CompletableFuture<Void> publish(String topic, Message message) {
    enter();
    try {
      PublishInterceptor[] interceptors = extensions.publishInterceptors();
      if (interceptors.length == 0) {
        return send(topic, message);
      }
      return new Chain(interceptors, topic, m -> send(topic, m)).run(message);
    } finally {
      submitting.decrementAndGet();
    }
  }

  private CompletableFuture<Void> send(String topic, Message message) {
    transport.naming().validateTopic(topic);
    validator.validate(message);
    return confirmed(topic, message, invoke(() -> transport.send(topic, message)));
  }

  /** The interceptors from {@code index} on, then {@code last}; one per publish, only when some are registered. */
  private static final class Chain implements PublishInterceptor.Next {
    private final PublishInterceptor[] interceptors;
    private final String topic;
    private final PublishInterceptor.Next last;
    private int index;

    Chain(PublishInterceptor[] interceptors, String topic, PublishInterceptor.Next last) {
      this.interceptors = interceptors;
      this.topic = topic;
      this.last = last;
    }

    /**
     * Runs the whole chain for one message; fails if an interceptor returned without calling
     * {@code next.publish} (nothing was sent, so its future must not say the message was).
     */
    CompletableFuture<Void> run(Message message) {
      CompletableFuture<Void> result = publish(message);
      if (index <= interceptors.length) {
        throw new IllegalStateException("a PublishInterceptor returned without calling next.publish on the calling"
            + " thread; nothing was sent to '" + topic + "'");
      }
      return result;
    }

    @Override
    public CompletableFuture<Void> publish(Message message) {
      Objects.requireNonNull(message, "message");
      if (index == interceptors.length) {
        index++;
        return last.publish(message);
      }
      if (index > interceptors.length) {
        throw new IllegalStateException("a PublishInterceptor called next.publish twice for one message");
      }
      PublishInterceptor interceptor = interceptors[index++];
      return Objects.requireNonNull(interceptor.around(topic, message, this),
          () -> "PublishInterceptor " + interceptor.getClass().getName() + " returned a null future");
    }
  }

  @Override
  public CompletableFuture<Void> publishAll(String topic, List<Message> messages) {
    enter();
    try {
      return sendAll(topic, messages);
    } finally {
      submitting.decrementAndGet();
    }
  }

  private CompletableFuture<Void> sendAll(String topic, List<Message> messages) {
    transport.naming().validateTopic(topic);
    Objects.requireNonNull(messages, "messages");
    PublishInterceptor[] interceptors = extensions.publishInterceptors();
    List<Message> copy = new ArrayList<>(messages.size());
    // With interceptors, each message runs its chain down to here, where it joins the batch; its
    // chain gets a future that the batch's outcome for it completes.
    List<CompletableFuture<Void>> intercepted = interceptors.length == 0 ? null : new ArrayList<>(messages.size());
    List<CompletableFuture<Void>> outcomes = interceptors.length == 0 ? null : new ArrayList<>(messages.size());
    for (Message m : messages) {
      if (intercepted == null) {
        copy.add(validator.validate(m));
        continue;
      }
      try {
        intercepted.add(new Chain(interceptors, topic, accepted -> {
          copy.add(validator.validate(accepted));
          CompletableFuture<Void> outcome = new CompletableFuture<>();
          outcomes.add(outcome);
          return outcome;
        }).publish(m));
        if (outcomes.size() != intercepted.size()) {
          throw new IllegalStateException("a PublishInterceptor did not call next.publish for a message of a batch");
        }
      } catch (RuntimeException e) {
        outcomes.forEach(o -> o.completeExceptionally(e)); // nothing was sent: end what began
        throw e;
      }
    }
    if (copy.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    List<CompletableFuture<Void>> sent;
    try {
      sent = transport.sendAll(topic, copy);
    } catch (RuntimeException e) {
      PublishException failure = new PublishException(
          "adapter '" + transport.name() + "' failed to send a batch to '" + topic + "'", e);
      if (outcomes != null) {
        outcomes.forEach(o -> o.completeExceptionally(failure));
      }
      for (Message m : copy) {
        extensions.listener().publishFailed(topic, m, failure);
      }
      return CompletableFuture.failedFuture(failure);
    }
    List<CompletableFuture<Void>> confirmed = new ArrayList<>(sent.size());
    for (int i = 0; i < sent.size(); i++) {
      CompletableFuture<Void> c = confirmed(topic, copy.get(i), sent.get(i));
      if (outcomes != null) {
        CompletableFuture<Void> outcome = outcomes.get(i);
        c.whenComplete((v, e) -> {
          if (e == null) {
            outcome.complete(null);
          } else {
            outcome.completeExceptionally(unwrap(e));
          }
        });
        c = intercepted.get(i);
      }
      confirmed.add(c);
    }
    CompletableFuture<Void> all = new CompletableFuture<>();
    CompletableFuture.allOf(confirmed.toArray(CompletableFuture[]::new)).whenComplete((v, e) -> {
      if (e == null) {
        all.complete(null);
        return;
      }
      List<Throwable> failures = new ArrayList<>();
      for (CompletableFuture<Void> f : confirmed) {
        if (f.isCompletedExceptionally()) {
          f.exceptionally(t -> {
            failures.add(unwrap(t));
            return null;
          });
        }
      }
      PublishException batch = new PublishException(failures.size() + " of " + confirmed.size()
          + " messages published to '" + topic + "' were not confirmed; the others were");
      failures.forEach(batch::addSuppressed);
      all.completeExceptionally(batch);
    });
    return all;
  }

  @Override
  public CompletableFuture<Void> publishDelayed(String topic, Message message, Duration delay) {
    enter();
    try {
      return sendDelayed(topic, message, delay);
    } finally {
      submitting.decrementAndGet();
    }
  }

  private CompletableFuture<Void> sendDelayed(String topic, Message message, Duration delay) {
    PublishInterceptor[] interceptors = extensions.publishInterceptors();
    if (interceptors.length == 0) {
      return sendDelayedNow(topic, message, delay);
    }
    return new Chain(interceptors, topic, m -> sendDelayedNow(topic, m, delay)).run(message);
  }

  private CompletableFuture<Void> sendDelayedNow(String topic, Message message, Duration delay) {
    transport.naming().validateTopic(topic);
    validator.validate(message);
    Objects.requireNonNull(delay, "delay");
    if (!transport.capabilities().has(Capability.DELAYED_PUBLISH)) {
      throw new UnsupportedCapabilityException(transport.name(), Capability.DELAYED_PUBLISH, "publishDelayed");
    }
    if (delay.isNegative()) {
      throw new IllegalArgumentException("delay must not be negative, was " + delay);
    }
    Duration max = transport.capabilities().maxPublishDelay();
    if (delay.compareTo(max) > 0) {
      throw new IllegalArgumentException("delay " + delay + " exceeds adapter '" + transport.name()
          + "' maxPublishDelay of " + max);
    }
    return confirmed(topic, message, invoke(() -> transport.sendDelayed(topic, message, delay)));
  }

  private CompletableFuture<Void> invoke(java.util.function.Supplier<CompletableFuture<Void>> send) {
    try {
      return Objects.requireNonNull(send.get(), "adapter returned a null future");
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private CompletableFuture<Void> confirmed(String topic, Message message, CompletableFuture<Void> sent) {
    if (sent.isDone() && !sent.isCompletedExceptionally() && !sent.isCancelled()) {
      // Confirmed synchronously (in-process broker): no timer, no extra future.
      notifyPublished(topic, message);
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<Void> result = new CompletableFuture<>();
    timeouts.watch(result, topic, message.id());
    sent.whenComplete((v, e) -> {
      if (e == null) {
        if (result.complete(null)) {
          notifyPublished(topic, message);
        }
        return;
      }
      Throwable cause = unwrap(e);
      PublishException failure = cause instanceof PublishException pe ? pe
          : new PublishException("adapter '" + transport.name() + "' failed to publish message " + message.id()
              + " to '" + topic + "': " + cause.getMessage(), cause);
      result.completeExceptionally(failure);
    });
    if (extensions.listener() != CourierListener.NONE) {
      // Whoever fails it (the broker, the publish timeout, the close) fails it once.
      result.whenComplete((v, e) -> {
        if (e != null) {
          extensions.listener().publishFailed(topic, message, unwrap(e));
        }
      });
    }
    return result;
  }

  private void notifyPublished(String topic, Message message) {
    extensions.listener().published(topic, message); // guarded: a listener cannot break publishing
  }

  /**
   * Called once the Courier is closed (no publish can start any more): waits until every publish
   * that started before was handed to the transport and has completed, confirmed or failed, or
   * until {@code timeout} passed; then fails those still unconfirmed. Returns how many it failed.
   */
  public int flush(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (submitting.get() > 0 && System.nanoTime() - deadline < 0) {
      LockSupport.parkNanos(SUBMIT_POLL_NANOS); // a publish is inside transport.send(), which returns soon
    }
    return timeouts.flush(deadline);
  }

  /** Counts this publish first, then checks: close sets the flag first, then reads the count. */
  private void enter() {
    submitting.incrementAndGet();
    if (!open.getAsBoolean()) {
      submitting.decrementAndGet();
      throw new CourierClosedException("this Courier is closed; publishing is no longer possible");
    }
  }

  static Throwable unwrap(Throwable t) {
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
