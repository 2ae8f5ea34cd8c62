package dev.courier.internal;

import dev.courier.Capability;
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
import java.util.function.BooleanSupplier;

/** Validates, sends through the transport, bounds the wait for confirmation. */
public final class DefaultPublisher implements Publisher {
  private final Transport transport;
  private final MessageValidator validator;
  private final PublishTimeouts timeouts;
  private final CourierListener listener;
  private final BooleanSupplier open;

  public DefaultPublisher(Transport transport, PublishTimeouts timeouts, CourierListener listener, BooleanSupplier open) {
    this.transport = transport;
    this.validator = new MessageValidator(transport.name(), transport.capabilities());
    this.timeouts = timeouts;
    this.listener = listener;
    this.open = open;
  }

  @Override
  public CompletableFuture<Void> publish(String topic, Message message) {
    checkOpen();
    transport.naming().validateTopic(topic);
    validator.validate(message);
    return confirmed(topic, message, invoke(() -> transport.send(topic, message)));
  }

  @Override
  public CompletableFuture<Void> publishAll(String topic, List<Message> messages) {
    checkOpen();
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
    checkOpen();
    transport.naming().validateTopic(topic);
    validator.validate(message);
    Objects.requireNonNull(delay, "delay");
    if (!transport.capabilities().has(Capability.DELAYED_PUBLISH)) {
      throw new UnsupportedCapabilityException(transport.name(), Capability.DELAYED_PUBLISH, "publishDelayed");
    }
    if (delay.isNegative()) {
      throw new IllegalArgumentException("delay must not be negative, was " + delay);
    }
    if (delay.compareTo(transport.capabilities().maxDelay()) > 0) {
      throw new IllegalArgumentException("delay " + delay + " exceeds adapter '" + transport.name()
          + "' maximum of " + transport.capabilities().maxDelay());
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

  private void checkOpen() {
    if (!open.getAsBoolean()) {
      throw new dev.courier.CourierClosedException("this Courier is closed; publishing is no longer possible");
    }
  }

  static Throwable unwrap(Throwable t) {
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
