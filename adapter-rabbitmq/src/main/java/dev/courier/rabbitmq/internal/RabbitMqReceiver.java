package dev.courier.rabbitmq.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import dev.courier.CourierException;
import dev.courier.Message;
import dev.courier.spi.DeliverySink;
import dev.courier.spi.ReceiveSpec;
import dev.courier.spi.Receiver;
import dev.courier.spi.TransportDelivery;
import dev.courier.spi.Undecodable;
import dev.courier.spi.support.Backoff;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One consumer of a group's queue on its own channel, with {@code basic.qos(maxInFlight)} so the
 * broker never has more than maxInFlight deliveries unacked on it. Deliveries go to the sink from
 * the consuming connection's reader thread (see {@link InlineExecutorService}), so nothing here
 * waits for the broker's reply to an RPC on that connection while holding this receiver's lock.
 * Settling ({@code basic.ack}/{@code basic.nack}) is serialized on this receiver and goes to the
 * channel the delivery came on.
 *
 * <p>Every delivery belongs to an epoch that ends when its channel shuts down or is replaced; a
 * delivery of an ended epoch is withdrawn ({@link TransportDelivery#isWithdrawn()}) and settling it
 * does nothing, because the broker has already returned it to the queue. A lost connection is
 * recovered by the client, channel and consumer included. A channel the broker closes on its own
 * (consumer timeout, a channel error) or a consumer it cancels (queue deleted) is not: this receiver
 * then re-declares the group's queue, opens a new channel and consumes again, with backoff, logging
 * at ERROR while it cannot. Closing the channel returns every unacked delivery to the queue.
 *
 * <p>A hand-back (release, defer, delayed redelivery) publishes a copy and acks the original once
 * the copy is confirmed. {@link #close()} waits, bounded, for every hand-back under way, so the
 * channel's close never returns an original beside its confirmed copy. On a single-active-consumer
 * queue a closing receiver keeps its consumer (so no other subscriber becomes active while it
 * drains) and leaves what it releases unacked: closing the channel returns those messages to the
 * head of the queue, in order, and only then the next subscriber becomes active. Quorum queues
 * before RabbitMQ 4.0 count such a return as a delivery.
 */
public final class RabbitMqReceiver implements Receiver {
  private static final Logger log = LoggerFactory.getLogger(RabbitMqReceiver.class);
  /** Re-subscription attempt n waits 100 ms × 2^n, at most 5 s. */
  private static final Backoff RESUBSCRIBE_BACKOFF = Backoff.exponential(Duration.ofMillis(200), Duration.ofSeconds(5));
  /**
   * How long close leaves the channel open after its last ack or nack. The broker's quorum-queue
   * client holds back settlements while earlier commands are unapplied (past a soft limit of about
   * 32) and drops them when the channel closes first, returning acked messages as if never
   * settled; it sends them once earlier commands apply, within milliseconds.
   */
  private static final long SETTLE_QUIET_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

  private final Connection connection;
  private final ReceiveSpec spec;
  private final String queue;
  private final DeliverySink sink;
  private final Delayer delayer;
  private final Runnable redeclare;
  private final ScheduledExecutorService scheduler;
  private final Duration handBackTimeout;
  private final boolean singleActiveConsumer;
  private final AtomicBoolean closing = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final java.util.concurrent.CountDownLatch channelClosed = new java.util.concurrent.CountDownLatch(1);
  private final AtomicLong epoch = new AtomicLong();
  private volatile Channel channel;
  private volatile boolean fetching = true;
  private volatile String consumerTag;
  private boolean resubscribing; // guarded by this
  private int handBacks; // copies published and not yet settled, guarded by this
  private boolean handBacksOver; // close stopped waiting for hand-backs, guarded by this
  private long lastSettleNanos = System.nanoTime() - SETTLE_QUIET_NANOS; // guarded by this

  /**
   * Republishes a delivered message, keeping {@code priorDeliveries} as its delivery count so far:
   * into a delay tier for a positive {@code delay}, straight back to {@code queue} for zero. The
   * future completes when the copy is confirmed.
   */
  public interface Delayer {
    CompletableFuture<Void> redeliverLater(String queue, AMQP.BasicProperties props, byte[] body,
        int priorDeliveries, Duration delay);
  }

  /**
   * {@code redeclare} declares the group's queue again (after the broker lost or deleted it);
   * {@code scheduler} runs the re-subscription attempts; {@code handBackTimeout} bounds how long
   * close waits for hand-backs under way (their copies' confirmations); {@code
   * singleActiveConsumer} says the queue was declared with single active consumer.
   */
  public RabbitMqReceiver(Connection connection, ReceiveSpec spec, String queue, DeliverySink sink, Delayer delayer,
      Runnable redeclare, ScheduledExecutorService scheduler, Duration handBackTimeout,
      boolean singleActiveConsumer) {
    this.connection = connection;
    this.spec = spec;
    this.queue = queue;
    this.sink = sink;
    this.delayer = delayer;
    this.redeclare = redeclare;
    this.scheduler = scheduler;
    this.handBackTimeout = handBackTimeout;
    this.singleActiveConsumer = singleActiveConsumer;
  }

  private Channel openChannel() throws IOException {
    Channel ch = connection.createChannel();
    if (ch == null) {
      throw new IOException("the broker has no channel left on this connection");
    }
    try {
      ch.basicQos(spec.maxInFlight(), false);
      return ch;
    } catch (IOException | RuntimeException e) {
      abortQuietly(ch);
      throw e;
    }
  }

  /**
   * Subscribes now, or, while the connection is down and the client is recovering it, as soon as
   * it is back, declaring the group's queue first. A group whose queue did not exist before the
   * outage keeps what is published from the moment it is declared.
   *
   * @param declared whether the caller has declared the group's queue on this connection already
   * @throws CourierException when the connection is up and the broker refuses the subscription
   */
  public void start(boolean declared) {
    if (!connection.isOpen()) {
      synchronized (this) {
        resubscribing = true;
      }
      log.warn("the connection to RabbitMQ is down; the consumer of queue '{}' subscribes when it is back", queue);
      schedule(0, 1);
      return;
    }
    try {
      if (!declared) {
        redeclare.run(); // the connection came back between the caller's check and this one
      }
      Channel ch = openChannel();
      channel = ch;
      consume(ch);
    } catch (IOException | RuntimeException e) {
      close();
      throw new CourierException("cannot consume group '" + spec.group() + "' of topic '" + spec.topic()
          + "': " + ConfirmChannel.describe(e.getCause() != null ? e.getCause() : e), e);
    }
  }

  private void consume(Channel ch) throws IOException {
    consumerTag = ch.basicConsume(queue, false, new DefaultConsumer(ch) {
      @Override
      public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
        deliver(ch, envelope, props, body);
      }

      @Override
      public void handleCancel(String tag) {
        resubscribe(ch, "RabbitMQ cancelled the consumer (was the queue deleted?)");
      }

      @Override
      public void handleShutdownSignal(String tag, ShutdownSignalException sig) {
        if (ch == channel) {
          epoch.incrementAndGet(); // a replaced channel's deliveries ended their epoch when it was replaced
        }
        if (closed.get() || sig.isInitiatedByApplication()) {
          return;
        }
        if (sig.isHardError()) {
          log.info("consumer of queue '{}' lost its connection ({}); it resumes when the connection recovers",
              queue, ConfirmChannel.describe(sig));
        } else {
          resubscribe(ch, "RabbitMQ closed the consumer's channel: " + ConfirmChannel.describe(sig));
        }
      }
    });
  }

  /** Starts re-subscribing once per lost channel, unless closed or already at it. */
  private void resubscribe(Channel lost, String why) {
    synchronized (this) {
      if (closed.get() || !fetching || lost != channel || resubscribing) {
        return;
      }
      resubscribing = true;
    }
    log.warn("the consumer of queue '{}' stopped: {}; subscribing again", queue, why);
    schedule(0, 1);
  }

  private void schedule(long delayMillis, int attempt) {
    try {
      scheduler.schedule(() -> tryResubscribe(attempt), delayMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      log.debug("not subscribing to '{}' again: the transport is closed", queue);
    }
  }

  private void tryResubscribe(int attempt) {
    if (closed.get()) {
      return;
    }
    try {
      redeclare.run();
      Channel fresh = openChannel();
      Channel old;
      boolean unwanted;
      synchronized (this) {
        unwanted = closed.get() || !fetching;
        old = channel;
        if (unwanted) {
          resubscribing = false;
        } else {
          channel = fresh;
          epoch.incrementAndGet();
        }
      }
      if (unwanted) {
        abortQuietly(fresh); // not under this lock, like every wait for the broker's reply
        return;
      }
      if (old != null) {
        abortQuietly(old); // returns what it still held; settling those deliveries now does nothing
      }
      consume(fresh);
      synchronized (this) {
        resubscribing = false;
      }
      log.info("consumer of queue '{}' subscribed again (attempt {})", queue, attempt);
    } catch (IOException | RuntimeException e) {
      if (closed.get()) {
        return;
      }
      long next = RESUBSCRIBE_BACKOFF.delayMillis(attempt);
      log.error("cannot subscribe to queue '{}' again (attempt {}): {}; retrying in {} ms", queue, attempt,
          ConfirmChannel.describe(e.getCause() != null ? e.getCause() : e), next);
      schedule(next, attempt + 1);
    }
  }

  private void deliver(Channel ch, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
    if (!fetching || closed.get()) {
      return; // left unacked: returned to the queue when the channel closes
    }
    Message message;
    Undecodable undecodable = null;
    try {
      message = AmqpMessages.message(props, body);
    } catch (RuntimeException e) {
      // Cannot happen for Courier's own messages. A foreign one whose properties Courier refuses
      // (a header name with control characters, a value that is not UTF-8) goes to the core as
      // undecodable, which dead-letters it with the broker's id: never dropped, never handled.
      String mid = props.getMessageId();
      undecodable = new Undecodable(e.getMessage() == null ? e.toString() : e.getMessage(),
          "rabbitmq:" + queue + "#" + envelope.getDeliveryTag() + (mid == null ? "" : " message-id=" + mid));
      log.warn("delivery {} from queue '{}' cannot be a Courier message ({}); the core dead-letters it",
          envelope.getDeliveryTag(), queue, undecodable.reason());
      message = undecodable.message(body, AmqpMessages.usableId(props));
    }
    sink.accept(new RabbitMqDelivery(this, queue, ch, epoch.get(), envelope.getDeliveryTag(), props, body, message,
        AmqpMessages.deliveryCount(props, envelope.isRedeliver()), undecodable));
  }

  void ack(RabbitMqDelivery d) {
    synchronized (this) {
      if (closed.get() || d.epoch != epoch.get()) {
        return; // its channel is gone: the broker redelivers it
      }
      try {
        lastSettleNanos = System.nanoTime();
        d.channel.basicAck(d.tag, false);
      } catch (IOException | RuntimeException e) {
        log.debug("ack of delivery {} on '{}' not sent ({}); the broker redelivers it", d.tag, queue, e.toString());
      }
    }
  }

  void requeue(RabbitMqDelivery d) {
    synchronized (this) {
      if (closed.get() || d.epoch != epoch.get()) {
        return;
      }
      try {
        lastSettleNanos = System.nanoTime();
        d.channel.basicNack(d.tag, false, true);
      } catch (IOException | RuntimeException e) {
        log.debug("nack of delivery {} on '{}' not sent ({}); the broker redelivers it", d.tag, queue, e.toString());
      }
    }
  }

  @Override
  public void stopFetching() {
    fetching = false;
    String tag = consumerTag;
    // A single active consumer stays registered while it drains: cancelling would make the next
    // subscriber active before this one's unsettled messages return to the head of the queue.
    if (tag != null && !singleActiveConsumer) {
      // Even when the channel looks closed: during connection recovery the client would otherwise
      // re-create this consumer; cancelling unregisters it from recovery. Not under this lock: the
      // cancel waits for the broker's reply, read by the thread that runs the consumer.
      Channel ch;
      synchronized (this) {
        ch = channel;
      }
      try {
        ch.basicCancel(tag);
      } catch (IOException | RuntimeException e) {
        log.debug("cancel of consumer on '{}' failed: {}", queue, e.toString());
      }
    }
  }

  /**
   * Waits (up to the hand-back timeout) for hand-backs under way to ack their originals, then closes
   * the channel, which returns every delivery still unacked to the queue.
   */
  @Override
  public void close() {
    if (!closing.compareAndSet(false, true)) {
      awaitClosed(); // the first caller is closing: callers that go on to close the connection wait
      return;
    }
    fetching = false;
    try {
      Channel last;
      synchronized (this) {
        awaitHandBacks(); // sets closed under this lock: no ack slips out after the quiet period
        last = channel; // no longer replaced once closed
      }
      // Not under this lock: the close waits for the broker's reply, read by the thread that runs
      // the consumer, which may be waiting for this lock to settle a delivery.
      if (last != null) { // null until a subscription made during an outage first subscribed
        closeChannel(last);
      }
    } finally {
      channelClosed.countDown();
    }
  }

  private void awaitClosed() {
    try {
      if (!channelClosed.await(handBackTimeout.toMillis() + 5_000, TimeUnit.MILLISECONDS)) {
        log.warn("the consumer of '{}' is still closing on another thread", queue);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private synchronized void awaitHandBacks() {
    long deadline = System.nanoTime() + handBackTimeout.toNanos();
    boolean interrupted = false;
    while (handBacks > 0) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        log.warn("closing the consumer of '{}' with {} hand-back(s) unconfirmed after {}: a message may come back"
            + " twice (its original and its copy)", queue, handBacks, handBackTimeout);
        break;
      }
      try {
        TimeUnit.NANOSECONDS.timedWait(this, left);
      } catch (InterruptedException e) {
        interrupted = true; // closing must finish; the flag is restored below
      }
    }
    handBacksOver = true;
    // Let the broker apply the last settlements before the channel's close returns what is unacked.
    while (System.nanoTime() - lastSettleNanos < SETTLE_QUIET_NANOS) {
      long left = SETTLE_QUIET_NANOS - (System.nanoTime() - lastSettleNanos);
      try {
        TimeUnit.NANOSECONDS.timedWait(this, Math.max(1, left));
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    closed.set(true);
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** False once close stopped waiting: the channel's close returns the message instead. */
  private synchronized boolean handBackStarted() {
    if (handBacksOver) {
      return false;
    }
    handBacks++;
    return true;
  }

  private synchronized void handBackEnded() {
    handBacks--;
    notifyAll();
  }

  /**
   * Closes a channel whatever state it seems to be in: a channel closed by a lost connection is
   * still registered for recovery, and recovery would bring back its consumer, holding up to
   * maxInFlight messages unacked for nobody. Closing it unregisters it.
   */
  private void closeChannel(Channel ch) {
    try {
      ch.close();
    } catch (IOException | RuntimeException | java.util.concurrent.TimeoutException e) {
      log.debug("closing the consumer channel of '{}': {}", queue, e.toString());
      abortQuietly(ch);
    }
  }

  private void abortQuietly(Channel ch) {
    try {
      ch.abort();
    } catch (IOException | RuntimeException e) {
      log.debug("aborting a consumer channel of '{}': {}", queue, e.toString());
    }
  }

  @Override
  public String toString() {
    return "RabbitMqReceiver{" + queue + ", prefetch=" + spec.maxInFlight() + '}';
  }

  // ---- what a RabbitMqDelivery asks of its receiver

  boolean isWithdrawn(long deliveryEpoch) {
    return closed.get() || deliveryEpoch != epoch.get();
  }

  boolean isClosed() {
    return closed.get();
  }

  /** Whether a release is left to the channel's close (single active consumer draining: keeps the group's order). */
  boolean releaseOnClose() {
    return singleActiveConsumer && !fetching;
  }

  /**
   * Hands {@code d} back: publishes a copy carrying {@code priorDeliveries} (into a delay tier for a
   * positive delay) and acks the original only once the copy is confirmed; close() waits for this.
   */
  void republishThenAck(RabbitMqDelivery d, int priorDeliveries, Duration delay, String what) {
    if (!handBackStarted()) {
      return;
    }
    CompletableFuture<Void> copied;
    try {
      copied = delayer.redeliverLater(queue, d.props, d.body, priorDeliveries, delay);
    } catch (RuntimeException e) {
      copied = CompletableFuture.failedFuture(e);
    }
    copied.whenComplete((ok, failure) -> {
      try {
        if (failure == null) {
          ack(d);
        } else {
          log.warn("could not {} message {} on '{}' ({}); returning it at once", what, d.message().id(), queue,
              failure.getMessage());
          requeue(d);
        }
      } finally {
        handBackEnded();
      }
    });
  }
}
