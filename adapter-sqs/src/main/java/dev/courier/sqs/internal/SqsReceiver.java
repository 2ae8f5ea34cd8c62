package dev.courier.sqs.internal;

import dev.courier.Message;
import dev.courier.spi.DeliverySink;
import dev.courier.spi.Receiver;
import dev.courier.spi.Undecodable;
import dev.courier.spi.support.Backoff;
import dev.courier.spi.support.RateLimitedLog;
import dev.courier.spi.support.SettleOnceDelivery;
import dev.courier.spi.support.Threads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.ReceiveMessageResponse;

/**
 * Long-polls one queue with a few threads and hands each message to the sink as a delivery.
 * {@code maxInFlight} holds exactly: a poller takes a permit per message it may receive before it
 * asks SQS, and a permit comes back when its delivery is settled or returned. Messages that are not
 * to be handled (a delayed publish not yet due, a poll that returned after the receiver stopped)
 * are returned uncounted: as a copy on a standard queue (see {@link Resender}); on a FIFO queue, where
 * a copy would go behind later messages of its group, by a visibility change whose receive the next
 * one does not count ({@link UncountedReceives}). A hidden FIFO message holds its group back: a
 * delayed or redelivered message keeps its key's later messages waiting, as key order needs.
 *
 * <p>SQS keeps a received message invisible for at most {@code maxVisibility} (12 hours) from its
 * receive; on a standard queue a redelivery delay that would end later is a copy carrying its due
 * time instead. On a FIFO queue it is never a copy (that would go behind its key's later messages):
 * the transport declares a shorter {@code maxRedeliveryDelay} there, and a delay after a long
 * handler is cut to what the 12 hours leave.
 */
public final class SqsReceiver implements Receiver {
  private static final Logger log = LoggerFactory.getLogger(SqsReceiver.class);
  private static final Backoff BACKOFF = Backoff.exponential(Duration.ofMillis(100), Duration.ofSeconds(5))
      .withJitter(0.3);

  private final SqsContext ctx;
  private final String queueUrl;
  private final String queueName;
  private final boolean fifo;
  private final DeliverySink sink;
  private final Semaphore permits;
  private final Set<SqsDelivery> unsettled = ConcurrentHashMap.newKeySet();
  private final List<Thread> pollers = new ArrayList<>();
  private final RateLimitedLog limiter = new RateLimitedLog(Duration.ofSeconds(30));
  private volatile boolean fetching = true;
  private volatile boolean closed;
  private final java.util.concurrent.ScheduledFuture<?> keepAlive;

  public SqsReceiver(SqsContext ctx, String queueUrl, String queueName, int maxInFlight, DeliverySink sink) {
    this.ctx = ctx;
    this.queueUrl = queueUrl;
    this.queueName = queueName;
    this.fifo = Fifo.isFifoQueue(queueName);
    this.sink = sink;
    this.permits = new Semaphore(maxInFlight);
    // Scheduled first: a transport closing meanwhile refuses it before any poller runs.
    long every = ctx.settings().visibilityTimeout().toMillis() / 3;
    keepAlive = ctx.scheduler().scheduleWithFixedDelay(this::keepWaitingAlive, every, every, TimeUnit.MILLISECONDS);
    for (int i = 0; i < ctx.settings().pollers(); i++) {
      Thread t = Threads.thread("courier-sqs-poll-" + queueName + "-" + (i + 1), true, this::poll);
      pollers.add(t);
    }
    pollers.forEach(Thread::start);
  }

  /**
   * Deliveries handed over but not started yet (waiting for a handler thread) keep their
   * visibility too: the core extends only started ones, and one that waited out its lease would be
   * given to another consumer and counted again.
   */
  private void keepWaitingAlive() {
    long now = System.nanoTime();
    long third = ctx.settings().visibilityTimeout().toNanos() / 3;
    for (SqsDelivery d : unsettled) {
      synchronized (d) { // not after its settlement (see SqsDelivery)
        if (!d.isStarted() && !d.isOver() && now - d.extendedAt > third) {
          d.extendedAt = now;
          ctx.settler().changeVisibility(queueUrl, d.receipt, (int) ctx.settings().visibilityTimeout().toSeconds());
        }
      }
    }
  }

  /**
   * The core's first lease extension comes a third of the visibility timeout after a handler
   * starts; a delivery last extended more than a third ago (it waited for a handler between two
   * ticks of {@link #keepWaitingAlive}) is extended as it starts, or it could expire before that.
   */
  private void extendOnStart(SqsDelivery d) {
    long now = System.nanoTime();
    if (now - d.extendedAt > ctx.settings().visibilityTimeout().toNanos() / 3) {
      d.extendLease();
    }
  }

  private void poll() {
    int failures = 0;
    while (fetching) {
      int taken = 0;
      try {
        if (!permits.tryAcquire(200, TimeUnit.MILLISECONDS)) {
          continue;
        }
        taken = 1;
        while (taken < 10 && permits.tryAcquire()) {
          taken++;
        }
        int max = taken;
        long polledAt = System.nanoTime(); // before SQS's receive: the 12 hours count from then at the latest
        ReceiveMessageResponse response = ctx.sqs().receiveMessage(r -> r.queueUrl(queueUrl).maxNumberOfMessages(max)
            .waitTimeSeconds((int) ctx.settings().waitTime().toSeconds())
            .visibilityTimeout((int) ctx.settings().visibilityTimeout().toSeconds())
            .messageAttributeNames("All")
            .messageSystemAttributeNames(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT,
                MessageSystemAttributeName.SENT_TIMESTAMP));
        failures = 0;
        Set<String> held = new HashSet<>(); // keys returned early in this response
        for (software.amazon.awssdk.services.sqs.model.Message m : response.messages()) {
          taken--;
          handle(m, polledAt, held);
        }
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        failures++;
        long suppressed = limiter.admit();
        if (suppressed != RateLimitedLog.SUPPRESSED && fetching) {
          log.warn("receiving from SQS queue {} failed, retrying: {}{}", queueName, e.toString(),
              RateLimitedLog.more(suppressed, "failures"));
        }
        Threads.sleep(BACKOFF.delayMillis(Math.min(failures, 20))); // backoff after a failed receive
      } finally {
        permits.release(taken);
      }
    }
  }

  /**
   * On a FIFO queue, a message returned early (a delayed publish not yet due) holds back its key's
   * later messages of the same response ({@code held}): they go back with it, uncounted, before any
   * handler sees them, and SQS gives them again after it.
   */
  private void handle(software.amazon.awssdk.services.sqs.model.Message m, long polledAt, Set<String> held) {
    Map<MessageSystemAttributeName, String> system = m.attributes();
    int received = parse(system.get(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT), 1);
    long sent = parse(system.get(MessageSystemAttributeName.SENT_TIMESTAMP), 0);
    WireFormat.Incoming in = WireFormat.decode(queueName, m.messageId(), m.body(), m.messageAttributes(), sent);
    int uncounted = fifo ? ctx.uncounted().of(queueUrl, m.messageId()) : 0;
    SqsDelivery d = new SqsDelivery(in, m.messageId(), m.receiptHandle(),
        Math.max(1, in.meta().prior() + received - uncounted), polledAt);
    boolean early = in.undecodable() == null && in.meta().dueMillis() > System.currentTimeMillis();
    String key = fifo ? d.message().key().orElse(null) : null;
    if (key != null && held.contains(key)) {
      returnUncounted(d);
      permits.release();
      return;
    }
    if (!fetching || early) {
      // Not to be handled now: returned uncounted, and a delayed publish keeps its due time.
      if (key != null) {
        held.add(key);
      }
      unsettled.add(d);
      runOnIo(() -> {
        if (withdrawAndReturn(d)) { // else returnFollowers (which released its permit) or close took it
          permits.release();
        }
      });
      return;
    }
    unsettled.add(d);
    sink.accept(d);
  }

  /**
   * On a FIFO queue, when a delivery goes back to the queue (nack, release, defer), the deliveries
   * of its key that SQS handed over in the same receives and no handler started go back too,
   * uncounted: SQS then gives the key's messages again in order, the returned one first, instead of
   * the later ones being handled while it waits for its redelivery.
   */
  private void returnFollowers(SqsDelivery returned) {
    if (!fifo || returned.message().key().isEmpty()) {
      return;
    }
    for (SqsDelivery d : unsettled) {
      if (d != returned && d.message().key().equals(returned.message().key()) && withdrawAndReturn(d)) {
        permits.release();
      }
    }
  }

  /**
   * Withdraws {@code d} and returns it uncounted, under its lock: {@link #keepWaitingAlive} either
   * saw it withdrawn or queued its extension before the return (never re-hiding it after). Takes no
   * other delivery's lock.
   */
  private boolean withdrawAndReturn(SqsDelivery d) {
    synchronized (d) {
      if (!d.withdraw()) {
        return false;
      }
      returnUncounted(d);
    }
    unsettled.remove(d);
    return true;
  }

  /**
   * Returns a delivery no handler started: an undecodable one as it is, a delayed publish not yet
   * due hidden again until due (its early receives never count), any other as if never received.
   * On a standard queue the last two are copies carrying the deliveries counted before this receive
   * (and the due time); on a FIFO queue the message is hidden for what remains (at most what
   * {@code maxVisibility} allows; received early again after that) and this receive noted as uncounted.
   */
  private void returnUncounted(SqsDelivery d) {
    long remaining = d.incoming.meta().dueMillis() - System.currentTimeMillis();
    if (d.incoming.undecodable() != null) {
      ctx.settler().changeVisibility(queueUrl, d.receipt, 0);
    } else if (fifo) {
      ctx.uncounted().add(queueUrl, d.sqsId);
      ctx.settler().changeVisibility(queueUrl, d.receipt,
          (int) Math.min(seconds(Duration.ofMillis(Math.max(0, remaining))), d.secondsLeft()));
    } else if (remaining > 0) {
      ctx.resender().hop(queueUrl, d.sqsId, d.message(), d.incoming.meta(), d.receipt);
    } else {
      ctx.resender().resend(queueUrl, d.sqsId, d.message(), new WireFormat.Meta(d.count - 1, 0), Duration.ZERO,
          d.receipt);
    }
  }

  @Override
  public void stopFetching() {
    fetching = false;
  }

  @Override
  public void close() {
    stopFetching();
    if (closed) {
      return;
    }
    closed = true;
    keepAlive.cancel(false);
    for (SqsDelivery d : List.copyOf(unsettled)) {
      if (!withdrawAndReturn(d)) {
        synchronized (d) {
          if (d.takeBack()) {
            ctx.settler().changeVisibility(queueUrl, d.receipt, 0); // its handler ran: a counted delivery
          }
        }
      }
      unsettled.remove(d);
    }
    ctx.settler().flush(ctx.settings().publishTimeout());
  }

  /** Closed, and its pollers returned from their last receive. */
  public boolean isFinished() {
    return closed && pollers.stream().noneMatch(Thread::isAlive);
  }

  /** Waits for the pollers to return from their last receive, at most {@code timeout}. */
  public void awaitPollers(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (Thread t : pollers) {
      try {
        t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Runs {@code task} on the I/O pool, or here once that pool is shut down (the transport closing). */
  private void runOnIo(Runnable task) {
    try {
      ctx.io().execute(task);
    } catch (RejectedExecutionException e) {
      task.run();
    }
  }

  private static int parse(String s, int fallback) {
    try {
      return s == null ? fallback : (int) Math.min(Integer.MAX_VALUE, Long.parseLong(s));
    } catch (NumberFormatException e) {
      return fallback;
    }
  }

  private static long parse(String s, long fallback) {
    try {
      return s == null ? fallback : Long.parseLong(s);
    } catch (NumberFormatException e) {
      return fallback;
    }
  }

  /**
   * One received SQS message. Its visibility changes and its settlement are queued under its lock,
   * and an extension only while it is started: no extension is queued after the settling op, which
   * it would undo (a nack's delay shortened to the visibility timeout).
   */
  final class SqsDelivery extends SettleOnceDelivery {
    final WireFormat.Incoming incoming;
    final String sqsId;
    final String receipt;
    final int count;
    final long polledAt;
    volatile long extendedAt = System.nanoTime();

    SqsDelivery(WireFormat.Incoming incoming, String sqsId, String receipt, int count, long polledAt) {
      super(() -> closed);
      this.incoming = incoming;
      this.sqsId = sqsId;
      this.receipt = receipt;
      this.count = count;
      this.polledAt = polledAt;
    }

    /** Seconds it may still be kept invisible: {@code maxVisibility} less the time since its receive. */
    long secondsLeft() {
      return Math.max(0, ctx.settings().maxVisibility().toSeconds() - elapsedSeconds(System.nanoTime() - polledAt));
    }

    @Override
    public Message message() {
      return incoming.message();
    }

    @Override
    public Optional<Undecodable> undecodable() {
      return Optional.ofNullable(incoming.undecodable());
    }

    @Override
    public int deliveryCount() {
      return count;
    }

    @Override
    public boolean tryStart() {
      if (!super.tryStart()) {
        return false;
      }
      extendOnStart(this);
      return true;
    }

    @Override
    protected synchronized void doAck() {
      // Its uncounted receives are forgotten once it is gone: a failed delete brings it back, and they still count.
      ctx.settler().delete(queueUrl, receipt, fifo ? () -> ctx.uncounted().forget(queueUrl, sqsId) : null);
      done();
    }

    /**
     * Hidden for {@code delay}; beyond {@code maxVisibility} from its receive, on a standard queue a
     * copy carrying its due time, on a FIFO queue hidden until then. SQS counts visibility in whole
     * seconds: a delay under one second keeps the lease it has (at least two thirds of the visibility
     * timeout, 2 s or more) and is made visible when the delay is over, rather than hidden a whole
     * second (on a FIFO queue that would hold its key back).
     */
    @Override
    protected void doNack(Duration delay) {
      synchronized (this) {
        nackHere(delay);
      }
      returnFollowers(this); // outside this lock: it takes the followers' locks
    }

    private void nackHere(Duration delay) {
      if (delay.compareTo(Duration.ofSeconds(1)) < 0) {
        visibleAfter(delay);
      } else if (incoming.undecodable() != null || fifo || seconds(delay) <= secondsLeft()) {
        ctx.settler().changeVisibility(queueUrl, receipt, (int) Math.min(seconds(delay), secondsLeft()));
      } else { // a standard queue, which notes no uncounted receives
        runOnIo(() -> ctx.resender().resend(queueUrl, sqsId, message(), new WireFormat.Meta(count, 0), delay,
            receipt));
      }
      done();
    }

    @Override
    protected void doRelease() {
      doDefer(Duration.ZERO);
    }

    @Override
    protected void doDefer(Duration delay) {
      synchronized (this) {
        if (incoming.undecodable() != null) {
          nackHere(delay);
        } else {
          deferHere(delay);
        }
      }
      returnFollowers(this); // outside this lock: it takes the followers' locks
    }

    private void deferHere(Duration delay) {
      if (fifo) { // not a copy: that would go behind its key's later messages
        ctx.uncounted().add(queueUrl, sqsId);
        if (delay.compareTo(Duration.ofSeconds(1)) < 0) {
          visibleAfter(delay);
        } else {
          ctx.settler().changeVisibility(queueUrl, receipt, (int) Math.min(seconds(delay), secondsLeft()));
        }
      } else { // a standard queue, which notes no uncounted receives
        runOnIo(() -> ctx.resender().resend(queueUrl, sqsId, message(), new WireFormat.Meta(count - 1, 0), delay,
            receipt));
      }
      done();
    }

    /**
     * Made visible after {@code delay} (under a second, within the lease it holds): at once for no
     * delay, else by the timer (which a closing transport lets run), or rounded up to a second if the
     * timer is gone.
     */
    private void visibleAfter(Duration delay) {
      if (delay.isZero() || delay.isNegative()) {
        ctx.settler().changeVisibility(queueUrl, receipt, 0);
        return;
      }
      try {
        ctx.scheduler().schedule(() -> ctx.settler().changeVisibility(queueUrl, receipt, 0), delay.toNanos(),
            TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException e) { // the transport is closing
        ctx.settler().changeVisibility(queueUrl, receipt, seconds(delay));
      }
    }

    @Override
    public synchronized void extendLease() {
      if (isStarted() && !closed) {
        extendedAt = System.nanoTime();
        ctx.settler().changeVisibility(queueUrl, receipt, (int) ctx.settings().visibilityTimeout().toSeconds());
      }
    }

    private void done() {
      unsettled.remove(this);
      permits.release();
    }

    @Override
    public String toString() {
      return "SqsDelivery{" + queueName + ", id=" + message().id() + ", count=" + count + '}';
    }
  }

  /** Whole seconds, rounded up (never sooner than asked), within SQS's 12 hours. */
  static int seconds(Duration delay) {
    long ms = delay.toMillis();
    return (int) Math.min(43_200, (ms + 999) / 1000);
  }

  /** Whole seconds in {@code nanos}, rounded up: the time since a receive, never less than it was. */
  static long elapsedSeconds(long nanos) {
    return (Math.max(0, nanos) + 999_999_999L) / 1_000_000_000L;
  }
}
