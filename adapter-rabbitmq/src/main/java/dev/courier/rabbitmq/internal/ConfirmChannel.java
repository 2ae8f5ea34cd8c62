package dev.courier.rabbitmq.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Return;
import com.rabbitmq.client.ShutdownSignalException;
import dev.courier.PublishException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * One publishing channel in confirm mode and the publishes it has not had confirmed yet, keyed by
 * sequence number. Publishing holds this object's lock (one thread on the channel at a time);
 * confirms, returns and shutdowns arrive on the connection's thread. A publish's future completes
 * on the broker's ack; it fails on a nack, on a return (unroutable with {@code mandatory}), when the
 * channel closes before the ack, or when {@link #expire} finds it older than the publish timeout.
 * Futures are completed on the {@code completer} executor, never on the connection's reader thread
 * or the timeout sweeper: a callback that publishes again and waits would otherwise stop the very
 * thread that reads its confirm. While the broker blocks the connection (memory or disk alarm) a
 * publish fails at once instead of waiting on a socket the broker no longer reads.
 */
final class ConfirmChannel {
  private final Connection connection;
  private final String description;
  private final Executor completer;
  private final Supplier<String> blockedReason;
  private volatile Opened current; // replaced under this lock

  /**
   * One channel as opened and the publishes sent on it, keyed by sequence number. Its listeners
   * settle only these: a channel the broker closed, or whose connection was lost, is never
   * published on again (a recovered channel numbers its publishes from 1 again), so a confirm that
   * reaches a replaced channel's listeners cannot complete another channel's publish.
   */
  private static final class Opened {
    final Channel channel;
    final ConcurrentNavigableMap<Long, Pending> pending = new ConcurrentSkipListMap<>();
    /**
     * Pending publishes sent without the sequence-number header, by message id: at most one per id,
     * so a return carrying no sequence number names its publish by its message id alone. The header
     * costs the broker a decoded headers table per message; it is only needed while another publish
     * of the same id is unconfirmed on this channel, or for a message without an id.
     */
    final ConcurrentHashMap<String, Pending> untagged = new ConcurrentHashMap<>();
    volatile boolean over; // shut down once: its publishes failed, it takes no more

    Opened(Channel channel) {
      this.channel = channel;
    }
  }

  /** One publish awaiting its confirm. */
  static final class Pending {
    final CompletableFuture<Void> future;
    final String exchange;
    final long sentNanos;
    String untaggedId; // set before the publish is sent; null once sent with its sequence number
    volatile String returned;

    Pending(CompletableFuture<Void> future, String exchange, long sentNanos) {
      this.future = future;
      this.exchange = exchange;
      this.sentNanos = sentNanos;
    }
  }

  ConfirmChannel(Connection connection, String description, Executor completer, Supplier<String> blockedReason) {
    this.connection = connection;
    this.description = description;
    this.completer = completer;
    this.blockedReason = blockedReason;
  }

  /**
   * Publishes one message with {@code mandatory}; the future is completed by the broker's answer.
   * {@code messageId} is the id the properties will carry, or null if none (then the sequence
   * number always goes in a header).
   */
  synchronized CompletableFuture<Void> publish(String exchange, String routingKey, String messageId,
      PropertiesFactory props, byte[] body) {
    CompletableFuture<Void> f = new CompletableFuture<>();
    publishInto(f, exchange, routingKey, messageId, props, body);
    return f;
  }

  /** Like {@link #publish}, completing {@code f}; the caller holds this channel's lock for a batch. */
  synchronized void publishInto(CompletableFuture<Void> f, String exchange, String routingKey, String messageId,
      PropertiesFactory props, byte[] body) {
    String blocked = blockedReason.get();
    if (blocked != null) {
      f.completeExceptionally(new PublishException("RabbitMQ blocked publishing: " + blocked
          + "; the broker accepts messages again when its alarm clears"));
      return;
    }
    Opened o;
    try {
      o = opened();
    } catch (IOException | RuntimeException e) {
      f.completeExceptionally(new PublishException("cannot publish to '" + exchange
          + "': no connection to RabbitMQ (" + describe(e) + ")", e));
      return;
    }
    long seq = o.channel.getNextPublishSeqNo();
    Pending p = new Pending(f, exchange, System.nanoTime());
    boolean tagged = messageId == null || o.untagged.putIfAbsent(messageId, p) != null;
    if (!tagged) {
      p.untaggedId = messageId;
    }
    if (o.pending.putIfAbsent(seq, p) != null) {
      // The channel numbers from 1 again (recovered) before its shutdown reached this object: what
      // it holds can no longer be told apart from new publishes, so all of it fails.
      o.over = true;
      failAll(o, "the publishing channel was recovered before RabbitMQ confirmed");
    }
    if (o.over) { // shut down meanwhile, perhaps swept before this publish was indexed: not sent
      forget(o, seq, p);
      f.completeExceptionally(new PublishException("publish to '" + exchange
          + "' failed: the publishing channel closed; publish it again"));
      return;
    }
    try {
      o.channel.basicPublish(exchange, routingKey, true, props.create(tagged ? seq : 0), body);
    } catch (IOException | RuntimeException e) {
      forget(o, seq, p);
      f.completeExceptionally(new PublishException("publish to '" + exchange + "' failed: " + describe(e), e));
    }
  }

  /** Removes a publish that is over (answered, failed or expired) from both indexes of its channel. */
  private static boolean forget(Opened o, long seq, Pending p) {
    if (p.untaggedId != null) {
      o.untagged.remove(p.untaggedId, p);
    }
    return o.pending.remove(seq, p);
  }

  /**
   * The channel in confirm mode, opened again if the previous one shut down (a channel error, or a
   * lost connection: the client would reopen that same channel object numbering from 1 again).
   * The previous one is aborted, which also keeps the client's recovery from reopening it.
   */
  private Opened opened() throws IOException {
    Opened o = current;
    if (o != null && !o.over && o.channel.isOpen()) {
      return o;
    }
    if (o != null && !connection.isOpen()) {
      throw new IOException("the connection is closed or recovering");
    }
    if (o != null) {
      o.over = true;
      failAll(o, "the publishing channel was closed");
      abortQuietly(o.channel);
    }
    Channel ch = connection.createChannel();
    if (ch == null) {
      throw new IOException("the broker has no channel left on this connection");
    }
    try {
      ch.confirmSelect();
    } catch (IOException | RuntimeException e) {
      abortQuietly(ch);
      throw e;
    }
    Opened fresh = new Opened(ch);
    ch.addConfirmListener(new ConfirmListener() {
      @Override
      public void handleAck(long seq, boolean multiple) {
        settle(fresh, seq, multiple, true);
      }

      @Override
      public void handleNack(long seq, boolean multiple) {
        settle(fresh, seq, multiple, false);
      }
    });
    ch.addReturnListener(r -> returned(fresh, r));
    ch.addShutdownListener(cause -> {
      fresh.over = true; // before the sweep: a publish indexed after it sees this and fails itself
      failAll(fresh, "the channel closed before RabbitMQ confirmed (" + describe(cause) + ")");
    });
    current = fresh;
    return fresh;
  }

  private static void abortQuietly(Channel ch) {
    try {
      ch.abort();
    } catch (IOException | RuntimeException ignored) {
      // the channel is of no use either way
    }
  }

  private void settle(Opened o, long seq, boolean multiple, boolean ack) {
    List<Pending> done = new ArrayList<>();
    if (multiple) {
      for (Map.Entry<Long, Pending> e : o.pending.headMap(seq, true).entrySet()) {
        if (forget(o, e.getKey(), e.getValue())) {
          done.add(e.getValue());
        }
      }
    } else {
      Pending p = o.pending.get(seq);
      if (p != null && forget(o, seq, p)) {
        done.add(p);
      }
    }
    if (!done.isEmpty()) {
      completer.execute(() -> {
        for (Pending p : done) {
          complete(p, ack);
        }
      });
    }
  }

  private static void complete(Pending p, boolean ack) {
    if (p.returned != null) {
      p.future.completeExceptionally(new PublishException(p.returned));
    } else if (ack) {
      p.future.complete(null);
    } else {
      p.future.completeExceptionally(new PublishException("RabbitMQ refused the message published to '"
          + p.exchange + "' (negative confirm): the queue may be full or unavailable; publish it again later"));
    }
  }

  private static void returned(Opened o, Return r) {
    Map<String, Object> headers = r.getProperties().getHeaders();
    Object seq = headers == null ? null : headers.get(AmqpMessages.SEQ);
    String id = r.getProperties().getMessageId();
    Pending p = seq instanceof Number n ? o.pending.get(n.longValue()) : id == null ? null : o.untagged.get(id);
    if (p != null) {
      p.returned = "RabbitMQ returned the message published to '" + r.getExchange()
          + "' as unroutable (" + r.getReplyText() + "): no group queue is bound to it; "
          + "provision the group first with admin().ensureGroup(topic, group)";
    }
  }

  private void failAll(Opened o, String why) {
    List<Pending> failed = new ArrayList<>();
    for (Map.Entry<Long, Pending> e : o.pending.entrySet()) {
      if (forget(o, e.getKey(), e.getValue())) {
        failed.add(e.getValue());
      }
    }
    failLater(failed, p -> new PublishException("publish to '" + p.exchange + "' failed: " + why
        + "; it may or may not have been stored, publish it again"));
  }

  /**
   * Fails publishes sent before {@code cutoffNanos}; sequence order is send order, so it stops early.
   * Only the current channel holds any: a replaced one was swept when it shut down.
   */
  void expire(long cutoffNanos, long timeoutMillis) {
    Opened o = current;
    if (o == null) {
      return;
    }
    List<Pending> expired = new ArrayList<>();
    Iterator<Map.Entry<Long, Pending>> it = o.pending.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<Long, Pending> e = it.next();
      Pending p = e.getValue();
      if (p.sentNanos - cutoffNanos > 0) {
        break;
      }
      if (forget(o, e.getKey(), p)) {
        expired.add(p);
      }
    }
    failLater(expired, p -> new PublishException("RabbitMQ did not confirm the message published to '"
        + p.exchange + "' within " + timeoutMillis + " ms (publish-timeout); it may or may not have been stored"));
  }

  private void failLater(List<Pending> failed, Function<Pending, PublishException> why) {
    if (!failed.isEmpty()) {
      completer.execute(() -> {
        for (Pending p : failed) {
          p.future.completeExceptionally(why.apply(p));
        }
      });
    }
  }

  /**
   * Waits up to {@code waitMillis} for the broker to confirm what is in flight (a confirm merely on
   * its way is not a failure), then fails what is still unconfirmed and closes the channel.
   */
  synchronized void close(long waitMillis) {
    Opened o = current;
    if (o == null) {
      return;
    }
    Channel channel = o.channel;
    if (channel.isOpen() && !o.pending.isEmpty() && waitMillis > 0) {
      try {
        channel.waitForConfirms(waitMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (java.util.concurrent.TimeoutException | RuntimeException e) {
        // what is still unconfirmed fails below
      }
    }
    failAll(o, "the transport was closed before RabbitMQ confirmed");
    if (channel.isOpen()) {
      try {
        channel.close();
      } catch (IOException | RuntimeException | java.util.concurrent.TimeoutException e) {
        // closing anyway
      }
    }
  }

  /** The channel publishes go to now, or null before the first (for tests). */
  Channel currentChannel() {
    Opened o = current;
    return o == null ? null : o.channel;
  }

  static String describe(Throwable e) {
    String m = e.getMessage();
    if (e instanceof ShutdownSignalException s && s.getReason() instanceof AMQP.Channel.Close c) {
      return c.getReplyText();
    }
    if (e instanceof ShutdownSignalException s && s.getReason() instanceof AMQP.Connection.Close c) {
      return c.getReplyText();
    }
    return m == null ? e.getClass().getSimpleName() : m;
  }

  @Override
  public String toString() {
    Opened o = current;
    return "ConfirmChannel{" + description + ", pending=" + (o == null ? 0 : o.pending.size()) + '}';
  }

  /** Builds a publish's properties once its sequence number is known. */
  @FunctionalInterface
  interface PropertiesFactory {
    /** {@code seq} is 0 when the publish goes without its sequence number (matched by message id). */
    AMQP.BasicProperties create(long seq);
  }
}
