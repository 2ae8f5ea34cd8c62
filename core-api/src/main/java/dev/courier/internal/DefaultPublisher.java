package dev.courier.internal;

import dev.courier.Capability;
import dev.courier.CourierClosedException;
import dev.courier.CourierListener;
import dev.courier.Message;
import dev.courier.PublishException;
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
 * Validates, sends through the transport, bounds the wait for confirmation. Counts the publishes
 * being handed to the transport, so {@link #flush} knows when no new one can appear: a publish
 * either sees the Courier closed and fails at once, or is counted before close looks.
 */
public final class DefaultPublisher implements Publisher {
  private static final long SUBMIT_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  private final Transport transport;
  private final MessageValidator validator;
  private final PublishTimeouts timeouts;
  private final CourierListener listener;
  private final BooleanSupplier open;
  private final AtomicInteger submitting = new AtomicInteger();

  public DefaultPublisher(Transport transport, PublishTimeouts timeouts, CourierListener listener, BooleanSupplier open) {
    this.transport = transport;
    this.validator = new MessageValidator(transport.name(), transport.capabilities());
    this.timeouts = timeouts;
    this.listener = listener;
    this.open = open;
  }

  @Override
  public CompletableFuture<Void> publish(String topic, Message message) {
    enter();
    try {
      transport.naming().validateTopic(topic);
      validator.validate(message);
      return confirmed(topic, message, invoke(() -> transport.send(topic, message)));
    } finally {
      submitting.decrementAndGet();
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
    List<Message> copy = new ArrayList<>(messages.size());
    for (Message m : messages) {
      copy.add(validator.validate(m));
    }
    if (copy.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    List<CompletableFuture<Void>> sent;
    try {
      sent = transport.sendAll(topic, copy);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(new PublishException(
          "adapter '" + transport.name() + "' failed to send a batch to '" + topic + "'", e));
    }
    List<CompletableFuture<Void>> confirmed = new ArrayList<>(sent.size());
    for (int i = 0; i < sent.size(); i++) {
      confirmed.add(confirmed(topic, copy.get(i), sent.get(i)));
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
      if (cause instanceof PublishException pe) {
        result.completeExceptionally(pe);
      } else {
        result.completeExceptionally(new PublishException("adapter '" + transport.name()
            + "' failed to publish message " + message.id() + " to '" + topic + "': " + cause.getMessage(), cause));
      }
    });
    return result;
  }

  private void notifyPublished(String topic, Message message) {
    try {
      listener.published(topic, message);
    } catch (RuntimeException ignored) {
      // A listener must not break publishing.
    }
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
