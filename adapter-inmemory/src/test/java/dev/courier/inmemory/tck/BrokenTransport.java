package dev.courier.inmemory.tck;

import dev.courier.Capabilities;
import dev.courier.Capability;
import dev.courier.Headers;
import dev.courier.Message;
import dev.courier.MessageLimits;
import dev.courier.PublishException;
import dev.courier.inmemory.InMemoryBroker;
import dev.courier.inmemory.InMemoryTransport;
import dev.courier.tck.BrokerControl;
import dev.courier.spi.DeliverySink;
import dev.courier.spi.NamingRules;
import dev.courier.spi.ReceiveSpec;
import dev.courier.spi.Receiver;
import dev.courier.spi.TopicBrowser;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportDelivery;
import dev.courier.spi.support.Threads;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * The real in-memory transport with one deliberate {@link Flaw}, for the TCK's self-test: each
 * flaw breaks one guarantee the way a buggy adapter would, through the SPI only.
 */
final class BrokenTransport implements Transport, TopicBrowser {
  /** What goes wrong. */
  enum Flaw {
    /** None: the wrapper itself must pass every rule. */
    NONE,
    /** Confirms every 25th message without storing it. */
    LOSES_MESSAGES,
    /** Sends every 5th keyed message 30 ms late, behind later messages of its key. */
    REORDERS_KEYS,
    /** Acks each delivery the moment it is handed to the core; the core's settlement goes nowhere. */
    ACKS_BEFORE_HANDLING,
    /** Hands over deliveries without the maxInFlight bound. */
    IGNORES_MAX_IN_FLIGHT,
    /** Sends messages without their headers. */
    DROPS_HEADERS,
    /** Cuts payloads to 256 bytes. */
    TRUNCATES_PAYLOADS,
    /** Delivers each message under a new id. */
    REWRITES_IDS,
    /** Redelivers nacked messages at once, whatever the delay. */
    IGNORES_REDELIVERY_DELAY,
    /** Reports every delivery as the first. */
    FORGETS_DELIVERY_COUNT,
    /** Maps every group of a topic to one group. */
    MERGES_GROUPS,
    /** Gives every receiver its own copy of the group, so consumers of a group do not compete. */
    GROUP_PER_RECEIVER,
    /** Maps every topic to one topic. */
    MERGES_TOPICS,
    /** Publishes delayed messages at once. */
    IGNORES_PUBLISH_DELAY,
    /** Serves publish delays in publish order: a message waits for every delayed one sent before it. */
    HEAD_OF_LINE_DELAYS,
    /** Accepts every name, control characters and any length included. */
    ACCEPTS_ANY_NAME,
    /** Declares no optional capability (the fixture agrees): gated rules must be skipped, not passed. */
    DECLARES_NOTHING,
    /** Correct transport, but the fixture claims PERSISTENT, which the adapter does not declare. */
    OVERCLAIMED_BY_FIXTURE,
    /**
     * Confirms each send at once but stores it 2 s later (a write-behind buffer); close() drops
     * what it has not stored yet instead of flushing it.
     */
    DROPS_BUFFER_ON_CLOSE,
    /**
     * Refuses every send over the limits applications are given, as a broker whose real limits are
     * the ones the adapter declared to applications (nothing left for Courier's own headers): the
     * dead letter of a message at those limits is refused.
     */
    NO_ROOM_FOR_COURIER_HEADERS,
    /** Declares a lease renewal interval, but extending a delivery's lease does nothing. */
    IGNORES_LEASE_EXTENSION,
    /** Peeks through a consumer that acks what it returns, so peeked messages are gone. */
    PEEK_CONSUMES,
    /** Acks a nacked delivery instead of redelivering it: a failed message is lost. */
    DROPS_NACKED,
    /** Hands a released message back as a copy, and leaves the original in the group too. */
    RELEASE_LEAVES_ORIGINAL,
    /** Acks sent once the receiver is stopping never reach the broker: the messages come back. */
    LOSES_ACKS_WHILE_CLOSING,
    /** A killed consumer's unsettled deliveries stay with it (as with a day-long visibility timeout). */
    STRANDS_CRASHED_DELIVERIES,
    /**
     * No flaw, plus a simulated outage the fault rules can use (and PERSISTENT, as the broker
     * survives it). It and every flaw after it simulate the outage and claim PERSISTENT.
     */
    SIMULATED_OUTAGE,
    /** Under a simulated outage, confirms publishes without storing them. */
    CONFIRMS_WHILE_DOWN,
    /** Confirms without storing the publishes made while the broker stops (in doubt: it may not store them). */
    CONFIRMS_IN_DOUBT,
    /** Receivers that lived through a simulated outage never deliver again. */
    NEVER_RECOVERS,
    /** Claims PERSISTENT, but a simulated restart loses every stored message. */
    FORGETS_ON_RESTART;

    boolean simulatesOutage() {
      return compareTo(SIMULATED_OUTAGE) >= 0;
    }
  }

  /**
   * A simulated broker outage shared by the transports of one fixture: while down, sends fail and
   * deliveries are held back (returned to the broker); after {@link #start()} everything resumes,
   * unless the flaw says otherwise.
   */
  static final class Outage implements BrokerControl {
    private static final Duration STOPPING = Duration.ofMillis(200);
    private final String brokerName;
    private final Flaw flaw;
    private volatile boolean stopping;
    private volatile boolean down;
    private final AtomicLong restarts = new AtomicLong();

    Outage(String brokerName, Flaw flaw) {
      this.brokerName = brokerName;
      this.flaw = flaw;
    }

    /**
     * Goes down after {@link #STOPPING}: a real broker takes a while to stop, and publishes made
     * meanwhile are stored (by a sound transport), so a rule must not count them as made while it
     * was down.
     */
    @Override
    public void stop() {
      stopping = true;
      Threads.sleep(STOPPING.toMillis());
      down = true;
      stopping = false;
      if (flaw == Flaw.FORGETS_ON_RESTART) {
        InMemoryBroker.discard(brokerName); // new transports get a fresh, empty broker
      }
    }

    @Override
    public void start() {
      restarts.incrementAndGet();
      down = false;
    }
  }

  private static final String SHARED = "tck-shared";
  private static final AtomicLong RECEIVERS = new AtomicLong(); // across Couriers sharing a broker

  private final InMemoryTransport delegate;
  private final AtomicLong lastDelayDue = new AtomicLong(Long.MIN_VALUE); // HEAD_OF_LINE_DELAYS
  private final Flaw flaw;
  private final Outage outage;
  private final AtomicLong sends = new AtomicLong();
  private final ScheduledExecutorService buffer; // DROPS_BUFFER_ON_CLOSE

  BrokenTransport(InMemoryTransport delegate, Flaw flaw, Outage outage) {
    this.delegate = delegate;
    this.flaw = flaw;
    this.outage = outage;
    this.buffer = flaw == Flaw.DROPS_BUFFER_ON_CLOSE ? Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "broken-transport-buffer");
      t.setDaemon(true);
      return t;
    }) : null;
  }

  @Override
  public String name() {
    return "inmemory-broken-" + flaw.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  @Override
  public Capabilities capabilities() {
    Capabilities real = delegate.capabilities();
    if (flaw.simulatesOutage()) { // the simulated outage keeps stored messages (FORGETS_ON_RESTART: wrongly)
      return Capabilities.builder().with(real.features().toArray(Capability[]::new)).with(Capability.PERSISTENT)
          .limitsOf(real).build();
    }
    if (flaw != Flaw.DECLARES_NOTHING) {
      return real;
    }
    return Capabilities.builder().limitsOf(real).build();
  }

  @Override
  public NamingRules naming() {
    return flaw == Flaw.ACCEPTS_ANY_NAME
        ? NamingRules.of(Integer.MAX_VALUE, Pattern.compile("(?s).*"), "anything", ".")
        : delegate.naming();
  }

  @Override
  public CompletableFuture<Void> send(String topic, Message message) {
    if (flaw == Flaw.CONFIRMS_IN_DOUBT && outage.stopping) {
      return CompletableFuture.completedFuture(null);
    }
    if (outage != null && outage.down) {
      return flaw == Flaw.CONFIRMS_WHILE_DOWN ? CompletableFuture.completedFuture(null)
          : CompletableFuture.failedFuture(new PublishException("broker is down (simulated outage)"));
    }
    if (flaw == Flaw.NO_ROOM_FOR_COURIER_HEADERS && overApplicationLimits(message)) {
      return CompletableFuture.failedFuture(new PublishException("message " + message.id()
          + " is over the broker's limits (those declared to applications)"));
    }
    long n = sends.incrementAndGet();
    switch (flaw) {
      case LOSES_MESSAGES:
        if (n % 25 == 0) {
          return CompletableFuture.completedFuture(null);
        }
        break;
      case REORDERS_KEYS:
        if (message.key().isPresent() && n % 5 == 0) {
          return CompletableFuture.supplyAsync(() -> null,
                  CompletableFuture.delayedExecutor(30, TimeUnit.MILLISECONDS))
              .thenCompose(x -> delegate.send(topic(topic), message));
        }
        break;
      case DROPS_HEADERS:
        return delegate.send(topic(topic), message.withHeaders(Headers.empty()));
      case DROPS_BUFFER_ON_CLOSE:
        buffer.schedule(() -> delegate.send(topic, message), 2, TimeUnit.SECONDS);
        return CompletableFuture.completedFuture(null);
      case TRUNCATES_PAYLOADS:
        if (message.payloadSize() > 256) {
          return delegate.send(topic(topic),
              message.toBuilder().payload(Arrays.copyOf(message.payload(), 256)).build());
        }
        break;
      default:
        break;
    }
    return delegate.send(topic(topic), message);
  }

  @Override
  public CompletableFuture<Void> sendDelayed(String topic, Message message, Duration delay) {
    if (flaw == Flaw.IGNORES_PUBLISH_DELAY) {
      return send(topic, message);
    }
    if (flaw == Flaw.HEAD_OF_LINE_DELAYS) {
      long now = System.nanoTime();
      long due = lastDelayDue.accumulateAndGet(now + delay.toNanos(), Math::max);
      return delegate.sendDelayed(topic(topic), message, Duration.ofNanos(due - now));
    }
    return delegate.sendDelayed(topic(topic), message, delay);
  }

  @Override
  public Receiver receive(ReceiveSpec spec, DeliverySink sink) {
    String group = flaw == Flaw.GROUP_PER_RECEIVER
        ? spec.group() + "-r" + RECEIVERS.incrementAndGet() : group(spec.group());
    ReceiveSpec actual = new ReceiveSpec(topic(spec.topic()), group,
        flaw == Flaw.IGNORES_MAX_IN_FLIGHT ? 1_000_000 : spec.maxInFlight(), spec.groupOptions());
    long restartsAtStart = outage == null ? 0 : outage.restarts.get();
    AtomicBoolean stopping = new AtomicBoolean();
    Receiver real = delegate.receive(actual, d -> {
      if (outage != null && (outage.down
          || (flaw == Flaw.NEVER_RECOVERS && outage.restarts.get() > restartsAtStart))) {
        d.nack(Duration.ofMillis(20)); // unreachable broker: the delivery stays on it
        return;
      }
      sink.accept(wrap(d, actual.topic(), stopping));
    });
    return new Receiver() {
      @Override
      public void stopFetching() {
        stopping.set(true);
        real.stopFetching();
      }

      @Override
      public void close() {
        stopping.set(true);
        real.close();
      }
    };
  }

  private TransportDelivery wrap(TransportDelivery d, String topic, AtomicBoolean stopping) {
    return switch (flaw) {
      case ACKS_BEFORE_HANDLING -> {
        d.ack();
        yield new Delivery(d, d.message(), d.deliveryCount(), true, topic, stopping);
      }
      case REWRITES_IDS -> new Delivery(d, d.message().toBuilder().id(UUID.randomUUID().toString()).build(),
          d.deliveryCount(), false, topic, stopping);
      case FORGETS_DELIVERY_COUNT -> new Delivery(d, d.message(), 1, false, topic, stopping);
      default -> new Delivery(d, d.message(), d.deliveryCount(), false, topic, stopping);
    };
  }

  @Override
  public void ensureTopic(String topic) {
    delegate.ensureTopic(topic(topic));
  }

  @Override
  public void ensureGroup(String topic, String group, dev.courier.GroupOptions options) {
    delegate.ensureGroup(topic(topic), group(group), options);
  }

  @Override
  public java.util.OptionalLong backlog(String topic, String group) {
    return delegate.backlog(topic(topic), group(group));
  }

  @Override
  public List<Message> peek(String topic, String group, int max) {
    List<Message> waiting = delegate.peek(topic(topic), group(group), max);
    if (flaw == Flaw.PEEK_CONSUMES && !waiting.isEmpty()) {
      consume(topic(topic), group(group), waiting.size());
    }
    return waiting;
  }

  /** PEEK_CONSUMES: acks the group's first {@code n} messages, as a browser that commits would. */
  private void consume(String topic, String group, int n) {
    CountDownLatch acked = new CountDownLatch(n);
    List<TransportDelivery> extra = new java.util.concurrent.CopyOnWriteArrayList<>();
    Receiver r = delegate.receive(new ReceiveSpec(topic, group, n, false), d -> {
      if (acked.getCount() > 0) {
        d.ack();
        acked.countDown();
      } else {
        extra.add(d); // released after the receiver stopped: releasing here would hand it straight back
      }
    });
    try {
      acked.await(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      r.stopFetching();
      extra.forEach(TransportDelivery::release);
      r.close();
    }
  }

  @Override
  public void close() {
    if (buffer != null) {
      buffer.shutdownNow(); // the flaw: unstored sends are dropped, though already confirmed
    }
    delegate.close();
  }

  private String topic(String topic) {
    return flaw == Flaw.MERGES_TOPICS ? SHARED : topic;
  }

  private String group(String group) {
    return flaw == Flaw.MERGES_GROUPS ? SHARED : group;
  }

  /** A delivery whose settlement goes to the real one, unless it was already acked on hand-over. */
  private final class Delivery implements TransportDelivery {
    private final TransportDelivery real;
    private final Message message;
    private final int count;
    private final boolean settled;
    private final String topic;
    private final AtomicBoolean stopping;

    Delivery(TransportDelivery real, Message message, int count, boolean settled, String topic,
        AtomicBoolean stopping) {
      this.real = real;
      this.message = message;
      this.count = count;
      this.settled = settled;
      this.topic = topic;
      this.stopping = stopping;
    }

    @Override
    public Message message() {
      return message;
    }

    @Override
    public int deliveryCount() {
      return count;
    }

    @Override
    public void ack() {
      if (settled) {
        return;
      }
      if (flaw == Flaw.LOSES_ACKS_WHILE_CLOSING && stopping.get()) {
        real.release();
        return;
      }
      real.ack();
    }

    @Override
    public void release() {
      if (settled) {
        return;
      }
      if (flaw == Flaw.RELEASE_LEAVES_ORIGINAL) {
        delegate.send(topic, message).join();
      }
      real.release(); // uncounted: TCK-8.2 must see a maxInFlight surplus without redelivery counts
    }

    @Override
    public void nack(Duration redeliverAfter) {
      if (!settled && flaw == Flaw.DROPS_NACKED) {
        real.ack();
      } else if (!settled) {
        real.nack(flaw == Flaw.IGNORES_REDELIVERY_DELAY ? Duration.ZERO : redeliverAfter);
      }
    }

    @Override
    public boolean isWithdrawn() {
      return !settled && real.isWithdrawn();
    }

    @Override
    public boolean tryStart() {
      return settled || real.tryStart();
    }

    @Override
    public void extendLease() {
      if (flaw != Flaw.IGNORES_LEASE_EXTENSION) {
        real.extendLease();
      }
    }

    @Override
    public void defer(Duration redeliverAfter) {
      if (!settled) {
        real.defer(redeliverAfter);
      }
    }

    @Override
    public java.util.Optional<dev.courier.spi.Undecodable> undecodable() {
      return real.undecodable();
    }
  }

  private boolean overApplicationLimits(Message m) {
    MessageLimits limits = delegate.capabilities().limits();
    return m.headers().size() > limits.maxHeaders() || m.headers().encodedSize() > limits.maxHeaderBytes()
        || m.payloadSize() + m.headers().encodedSize() > limits.maxMessageBytes();
  }
}
