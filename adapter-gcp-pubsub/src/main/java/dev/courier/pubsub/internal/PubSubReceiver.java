package dev.courier.pubsub.internal;

import com.google.api.gax.rpc.ClientStream;
import com.google.api.gax.rpc.ResponseObserver;
import com.google.api.gax.rpc.StreamController;
import com.google.pubsub.v1.ReceivedMessage;
import com.google.pubsub.v1.StreamingPullRequest;
import com.google.pubsub.v1.StreamingPullResponse;
import dev.courier.pubsub.PubSubSettings;
import dev.courier.spi.DeliverySink;
import dev.courier.spi.Receiver;
import dev.courier.spi.support.Backoff;
import dev.courier.spi.support.RateLimitedLog;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes one subscription through streaming pulls ({@link PubSubSettings#parallelPullCount()}
 * streams), with client-side flow control: responses are requested one at a time and only while
 * fewer than maxInFlight deliveries (and max-outstanding-bytes) are handed to the sink and unsettled;
 * what a response brings beyond that waits here, leased, and is handed over in arrival order as
 * deliveries settle. The streams ask the server for the byte bound only: Pub/Sub counts a message
 * nacked with a delay (its ack deadline set to the delay) as outstanding until the deadline passes,
 * so a server-side message bound of maxInFlight would let maxInFlight delayed nacks stall the
 * subscription for up to 600 s; the message bound is this receiver's alone.
 *
 * <p>Leases: until a handler starts on a delivery (waiting here or in Courier's queue) this
 * receiver renews its ack deadline every third of it, for at most max-lease-extension, after which
 * it withdraws the delivery and lets the deadline run out; once the handler started, Courier's core
 * renews it through {@link PubSubDelivery#extendLease()} for the handler's timeout, so a hung
 * handler's message goes back to Pub/Sub instead of being held for ever. A stream that fails or
 * ends is opened again with backoff; its deliveries stay valid (ack ids belong to the
 * subscription).
 */
public final class PubSubReceiver implements Receiver {
  private static final Logger log = LoggerFactory.getLogger(PubSubReceiver.class);
  private static final Backoff RECONNECT = Backoff.exponential(Duration.ofMillis(100), Duration.ofSeconds(10))
      .withJitter(0.2);
  private static final int MAX_NACK_SECONDS = 600;
  /** A stream open this long before it ended counts as healthy: its reconnect starts the backoff over. */
  private static final long STABLE_STREAM_NANOS = TimeUnit.SECONDS.toNanos(30);
  /** Acked messages remembered to ack their redelivered copies: ordered nacks redeliver a key's later messages. */
  private static final int RECENT_ACKS = 16_384;
  /** How long: the longest nack (600 s) and a minute; a copy arriving later is handled again. */
  private static final long RECENT_ACK_NANOS = TimeUnit.SECONDS.toNanos(MAX_NACK_SECONDS + 60);

  private final Clients clients;
  private final String subscription;
  private final DeliverySink sink;
  private final int maxInFlight;
  private final int maxBytes;
  private final int ackDeadlineSeconds;
  private final long maxLeaseNanos;
  private final ScheduledExecutorService scheduler;
  private final AckSender sender;
  private final HandBacks handBacks;
  private final RecentAcks recentAcks; // null unless the subscription is ordered
  private final String clientId = UUID.randomUUID().toString();
  private final RateLimitedLog rateLimited = new RateLimitedLog(Duration.ofMinutes(1));

  private final Object lock = new Object();
  private final ArrayDeque<PubSubDelivery> pending = new ArrayDeque<>(); // guarded by lock
  private int handedOver; // guarded by lock
  private long handedOverBytes; // guarded by lock
  private final Set<PubSubDelivery> outstanding = ConcurrentHashMap.newKeySet();
  private final List<Stream> streams = new ArrayList<>();
  private final ScheduledFuture<?> leaseTask;
  private volatile boolean fetching = true;
  private volatile boolean closed;

  public PubSubReceiver(Clients clients, String subscription, int maxInFlight, boolean ordered,
      PubSubSettings settings, ScheduledExecutorService scheduler, HandBacks handBacks, DeliverySink sink) {
    this.recentAcks = ordered ? new RecentAcks(RECENT_ACKS, RECENT_ACK_NANOS) : null;
    this.clients = clients;
    this.handBacks = handBacks;
    this.subscription = subscription;
    this.sink = sink;
    this.maxInFlight = maxInFlight;
    this.maxBytes = settings.maxOutstandingBytes();
    this.ackDeadlineSeconds = (int) settings.ackDeadline().toSeconds();
    this.maxLeaseNanos = settings.maxLeaseExtension().toNanos();
    this.scheduler = scheduler;
    this.sender = new AckSender(clients.subscriber(), subscription, scheduler);
    long period = Math.max(200, settings.ackDeadline().toMillis() / 3);
    this.leaseTask = scheduler.scheduleWithFixedDelay(this::renewWaiting, period, period, TimeUnit.MILLISECONDS);
    for (int i = 0; i < settings.parallelPullCount(); i++) {
      Stream s = new Stream();
      streams.add(s);
      s.open();
    }
  }

  boolean isClosed() {
    return closed;
  }

  String subscription() {
    return subscription;
  }

  HandBacks handBacks() {
    return handBacks;
  }

  /** One streaming pull, reopened while fetching. */
  private final class Stream implements ResponseObserver<StreamingPullResponse> {
    private volatile StreamController controller;
    private volatile ClientStream<StreamingPullRequest> clientStream;
    private volatile java.util.concurrent.CountDownLatch ended = new java.util.concurrent.CountDownLatch(1);
    private volatile boolean awaitingRoom;
    private int failures; // guarded by this
    private long openedNanos; // guarded by this

    synchronized void open() {
      if (!fetching) {
        return;
      }
      ended = new java.util.concurrent.CountDownLatch(1);
      openedNanos = System.nanoTime();
      ClientStream<StreamingPullRequest> stream = clients.subscriber().streamingPullCallable().splitCall(this);
      clientStream = stream;
      stream.send(StreamingPullRequest.newBuilder().setSubscription(subscription).setClientId(clientId)
          .setStreamAckDeadlineSeconds(ackDeadlineSeconds).setMaxOutstandingBytes(maxBytes).build());
      if (!fetching) {
        // stopFetching() ran meanwhile (a scheduled reopen racing it) and may have cancelled the
        // previous stream only: end this one, or messages pushed into it stay leased here
        cancel();
        return;
      }
      requestIfRoom();
    }

    @Override
    public void onStart(StreamController c) {
      c.disableAutoInboundFlowControl();
      controller = c;
    }

    @Override
    public void onResponse(StreamingPullResponse response) {
      synchronized (this) {
        failures = 0;
      }
      received(response.getReceivedMessagesList());
      requestIfRoom();
    }

    /** Asks for the next response if nothing waits here; else once the waiting ones are handed over. */
    void requestIfRoom() {
      StreamController c = controller;
      if (c == null || !fetching) {
        return;
      }
      boolean room;
      synchronized (lock) {
        room = pending.isEmpty() && handedOver < maxInFlight;
        awaitingRoom = !room;
      }
      if (room) {
        c.request(1);
      }
    }

    void wakeIfAwaiting() {
      if (awaitingRoom) {
        requestIfRoom();
      }
    }

    @Override
    public void onError(Throwable t) {
      reopenLater(t);
    }

    @Override
    public void onComplete() {
      reopenLater(null);
    }

    private void reopenLater(Throwable t) {
      ended.countDown();
      log.debug("streaming pull of {} ended: {}", subscription, String.valueOf(t));
      controller = null;
      if (!fetching) {
        return;
      }
      int attempt;
      synchronized (this) {
        if (System.nanoTime() - openedNanos > STABLE_STREAM_NANOS) {
          failures = 0; // an idle subscription's streams end now and then without any response
        }
        attempt = ++failures;
      }
      long suppressed = rateLimited.admit("stream");
      if (t != null && suppressed != RateLimitedLog.SUPPRESSED) {
        log.warn("Pub/Sub streaming pull of {} failed ({} similar failures not logged): {}; reconnecting",
            subscription, suppressed, Publishers.describe(t));
      }
      try {
        scheduler.schedule(this::open, RECONNECT.delayMillis(attempt), TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // the transport is closing
      }
    }

    /**
     * Ends the stream: half-closes it and waits briefly for the server to end it, then cancels. A
     * server that never learns of the end (the emulator does not, of a cancel alone) keeps sending
     * the subscription's messages into the dead stream.
     */
    void cancel() {
      StreamController c = controller;
      ClientStream<StreamingPullRequest> cs = clientStream;
      if (cs != null) {
        try {
          cs.closeSend();
        } catch (RuntimeException e) {
          // already closed
        }
        try {
          ended.await(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      controller = null;
      if (c != null) {
        c.cancel();
      } else if (cs != null) {
        try {
          cs.closeSendWithError(new java.util.concurrent.CancellationException("fetching stopped"));
        } catch (RuntimeException e) {
          // already closed
        }
      }
    }
  }

  private void received(List<ReceivedMessage> messages) {
    List<String> refused = new ArrayList<>();
    List<String> done = new ArrayList<>();
    for (ReceivedMessage rm : messages) {
      if (recentAcks != null && recentAcks.contains(HandBacks.key(subscription, rm.getMessage().getMessageId()))) {
        done.add(rm.getAckId()); // handled here already: Pub/Sub redelivered it after a nack of an earlier one
        continue;
      }
      PubSubDelivery d = PubSubDelivery.of(this, subscription, rm);
      synchronized (lock) {
        if (fetching) {
          outstanding.add(d);
          pending.add(d);
          continue;
        }
      }
      handBacks.handedBack(d.handBackKey());
      refused.add(rm.getAckId());
    }
    if (!refused.isEmpty()) {
      log.debug("{} deliveries arrived after {} stopped fetching: returned", refused.size(), subscription);
      sender.modify(refused, 0);
    }
    if (!done.isEmpty()) {
      log.debug("{} copies of messages already acked on {} arrived again: acked", done.size(), subscription);
      done.forEach(ackId -> sender.ack(ackId, () -> {}));
    }
    drain();
  }

  /** Hands waiting deliveries to the sink while there is room, in arrival order. */
  private void drain() {
    boolean empty;
    synchronized (lock) {
      while (fetching && !pending.isEmpty() && handedOver < maxInFlight
          && (handedOver == 0 || handedOverBytes + pending.peek().bytes() <= maxBytes)) {
        PubSubDelivery d = pending.poll();
        if (d.isOver()) {
          continue;
        }
        d.handedOver = true;
        handedOver++;
        handedOverBytes += d.bytes();
        sink.accept(d);
      }
      empty = pending.isEmpty();
    }
    if (empty) {
      for (Stream s : streams) {
        s.wakeIfAwaiting();
      }
    }
  }

  private void forget(PubSubDelivery d) {
    outstanding.remove(d);
    synchronized (lock) {
      if (d.handedOver) {
        d.handedOver = false;
        handedOver--;
        handedOverBytes -= d.bytes();
      } else {
        pending.remove(d);
      }
    }
    drain();
  }

  void ack(PubSubDelivery d) {
    String key = d.handBackKey();
    if (recentAcks != null) {
      recentAcks.add(key);
    }
    sender.ack(d.ackId(), () -> handBacks.settled(key)); // kept counted if the ack fails and it comes back
    forget(d);
  }

  void nack(PubSubDelivery d, Duration delay) {
    long seconds = delay.isZero() ? 0 : Math.min(MAX_NACK_SECONDS, (delay.toMillis() + 999) / 1000);
    sender.modify(List.of(d.ackId()), (int) seconds);
    forget(d);
  }

  /** A return that is not a handler failure: the next delivery does not count it. */
  void handBack(PubSubDelivery d, Duration delay) {
    handBacks.handedBack(d.handBackKey());
    nack(d, delay);
  }

  void extend(PubSubDelivery d) {
    if (!closed && !d.isOver()) {
      sender.modify(List.of(d.ackId()), ackDeadlineSeconds);
    }
  }

  /** Renews the lease of every delivery no handler started on yet; withdraws those waiting too long. */
  private void renewWaiting() {
    try {
      long now = System.nanoTime();
      List<String> renew = new ArrayList<>();
      for (PubSubDelivery d : outstanding) {
        if (d.isOver()) {
          outstanding.remove(d);
        } else if (!d.isStarted()) {
          if (now - d.receivedNanos() > maxLeaseNanos && d.withdraw()) {
            handBacks.handedBack(d.handBackKey());
            forget(d); // its deadline runs out and Pub/Sub delivers it again
          } else {
            renew.add(d.ackId());
          }
        }
      }
      if (!renew.isEmpty() && !closed) {
        sender.modify(renew, ackDeadlineSeconds);
      }
    } catch (RuntimeException e) {
      log.warn("renewing leases on {} failed: {}", subscription, e.toString());
    }
  }

  /** Stops handing over and ends the streams; what waits here goes back to Pub/Sub at once (deadline 0). */
  @Override
  public void stopFetching() {
    List<String> unhanded = stop();
    if (unhanded == null) {
      return;
    }
    for (Stream s : streams) {
      s.cancel();
    }
    if (!unhanded.isEmpty()) {
      AckSender.await(sender.modify(unhanded, 0), Duration.ofSeconds(5));
    }
  }

  /** Ends fetching; the ack ids of the deliveries withdrawn from the waiting ones, or null if already stopped. */
  private List<String> stop() {
    List<String> unhanded = new ArrayList<>();
    synchronized (lock) {
      if (!fetching) {
        return null;
      }
      fetching = false;
      for (PubSubDelivery d : pending) {
        if (d.withdraw()) {
          handBacks.handedBack(d.handBackKey());
          unhanded.add(d.ackId());
          outstanding.remove(d);
        }
      }
      pending.clear();
    }
    return unhanded;
  }

  @Override
  public void close() {
    List<String> back = stop();
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
    }
    leaseTask.cancel(false);
    if (back == null) {
      back = new ArrayList<>();
    }
    for (PubSubDelivery d : outstanding) {
      if (d.takeBack()) {
        handBacks.handedBack(d.handBackKey());
        back.add(d.ackId());
      }
    }
    outstanding.clear();
    for (Stream s : streams) {
      s.cancel();
    }
    log.debug("closing {}: {} unsettled deliveries returned", subscription, back.size());
    var calls = new ArrayList<>(sender.flush());
    if (!back.isEmpty()) {
      calls.addAll(sender.modify(back, 0));
    }
    AckSender.await(calls, Duration.ofSeconds(5));
  }
}
