package dev.courier.rabbitmq.internal;

import dev.courier.spi.support.Payloads;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Connection;
import dev.courier.Message;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A fixed set of confirm-mode channels on the publishing connection. A thread always publishes on
 * the same channel (chosen by thread id), so one thread's messages reach the broker in the order it
 * published them; a sweeper fails publishes left unconfirmed past the publish timeout.
 */
public final class ConfirmChannelPool {
  private final ConfirmChannel[] channels;
  private final long publishTimeoutMillis;

  /**
   * {@code completer} completes the publishes' futures (never the connection's thread);
   * {@code blockedReason} is non-null while the broker blocks the connection, failing publishes at once.
   */
  public ConfirmChannelPool(Connection connection, int size, long publishTimeoutMillis,
      ScheduledExecutorService scheduler, Executor completer, Supplier<String> blockedReason) {
    this.channels = new ConfirmChannel[size];
    this.publishTimeoutMillis = publishTimeoutMillis;
    for (int i = 0; i < size; i++) {
      channels[i] = new ConfirmChannel(connection, "publish-" + i, completer, blockedReason);
    }
    long period = Math.max(10, Math.min(250, publishTimeoutMillis / 10));
    scheduler.scheduleWithFixedDelay(() -> {
      long cutoff = System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(publishTimeoutMillis);
      for (ConfirmChannel c : channels) {
        c.expire(cutoff, publishTimeoutMillis);
      }
    }, period, period, TimeUnit.MILLISECONDS);
  }

  private ConfirmChannel mine() {
    return channels[(int) (Thread.currentThread().getId() % channels.length)];
  }

  public CompletableFuture<Void> publish(String exchange, String routingKey, Message message) {
    return mine().publish(exchange, routingKey, message.id(), seq -> AmqpMessages.properties(message, seq),
        Payloads.shared(message));
  }

  /** Publishes the batch on one channel, in order, without another thread's messages in between. */
  public List<CompletableFuture<Void>> publishAll(String exchange, String routingKey, List<Message> messages) {
    ConfirmChannel c = mine();
    List<CompletableFuture<Void>> out = new ArrayList<>(messages.size());
    synchronized (c) {
      for (Message m : messages) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        c.publishInto(f, exchange, routingKey, m.id(), seq -> AmqpMessages.properties(m, seq), Payloads.shared(m));
        out.add(f);
      }
    }
    return out;
  }

  /** Publishes {@code message} to expire after {@code millis} (into a delay tier). */
  public CompletableFuture<Void> publishExpiring(String exchange, String routingKey, Message message, long millis) {
    String expiration = Long.toString(millis);
    return mine().publish(exchange, routingKey, message.id(),
        seq -> AmqpMessages.properties(message, seq).builder().expiration(expiration).build(), Payloads.shared(message));
  }

  /**
   * Publishes a copy of a delivered message, keeping its delivery count so far: into a delay tier
   * expiring after {@code millis}, or (null) straight to a queue through the default exchange.
   */
  public CompletableFuture<Void> publishRedelivery(String exchange, String routingKey, AMQP.BasicProperties original,
      byte[] body, int deliveriesSoFar, Long millis) {
    return mine().publish(exchange, routingKey, null,
        seq -> AmqpMessages.forDelay(original, deliveriesSoFar, seq, millis), body);
  }

  /** Waits up to the publish timeout in all for the confirms in flight, then closes every channel. */
  public void close() {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(publishTimeoutMillis);
    for (ConfirmChannel c : channels) {
      c.close(TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
    }
  }
}
