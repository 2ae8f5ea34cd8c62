package dev.courier.internal;

import dev.courier.spi.TransportDelivery;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps started deliveries' leases alive for adapters that declare
 * {@link dev.courier.Capabilities#leaseRenewalInterval()}: one scheduler thread per Courier scans
 * the handler threads' {@link Slot slots} every quarter interval and calls
 * {@link TransportDelivery#extendLease()} on a delivery whose lease was last started or extended
 * at least three quarters of an interval ago, so never later than the interval (a late scan
 * aside). Starting and stopping a lease are two field writes: no timer per message, no wake-up of
 * the scheduler thread. Without an interval it does nothing and starts no thread.
 */
public final class LeaseRenewer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LeaseRenewer.class);
  private static final VarHandle SINCE;
  private static final VarHandle DELIVERY;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      SINCE = lookup.findVarHandle(Slot.class, "since", long.class);
      DELIVERY = lookup.findVarHandle(Slot.class, "delivery", TransportDelivery.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final long intervalNanos;
  private final long tickNanos;
  private final ScheduledThreadPoolExecutor scheduler; // null without an interval
  private final Set<Slot> slots = ConcurrentHashMap.newKeySet();

  public LeaseRenewer(Optional<Duration> interval) {
    this.intervalNanos = interval.map(Duration::toNanos).orElse(0L);
    this.tickNanos = Math.max(1, intervalNanos / 4);
    if (intervalNanos > 0) {
      scheduler = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "courier-lease-renewer");
        t.setDaemon(true);
        return t;
      });
      scheduler.scheduleWithFixedDelay(this::scan, tickNanos, tickNanos, TimeUnit.NANOSECONDS);
    } else {
      scheduler = null;
    }
  }

  /** A started delivery's renewal; {@link #stop()} is idempotent. */
  public interface Lease {
    void stop();
  }

  /**
   * One thread's lease holder, reused for each delivery it handles in turn: {@link #start} a
   * delivery's renewal, {@link #stop} it, and {@link #close} the slot when the thread is done.
   * {@code overdue} says the thread's handler call is abandoned or running past its timeout and
   * grace (it is then abandoned and settled anyway): its delivery is not renewed while it says so.
   * It is asked again on each due scan, not taken as final: a call that returns just before the
   * watchdog abandons it goes on to in-process retries or to settling, which the lease must cover.
   */
  public final class Slot implements Lease {
    private final BooleanSupplier overdue;
    private final boolean live = scheduler != null;
    @SuppressWarnings("unused") // through DELIVERY
    private volatile TransportDelivery delivery; // null: nothing to renew
    @SuppressWarnings("unused") // through SINCE
    private volatile long since; // System.nanoTime() of the start or the last extension
    private TransportDelivery warned; // the scanner's: the delivery last reported overdue

    private Slot(BooleanSupplier overdue) {
      this.overdue = overdue;
    }

    /** Renews {@code d}'s lease every interval from now until {@link #stop()} or the next start. */
    public void start(TransportDelivery d) {
      if (live) {
        SINCE.setOpaque(this, System.nanoTime());
        DELIVERY.setRelease(this, d); // publishes since
      }
    }

    @Override
    public void stop() {
      if (live) {
        DELIVERY.setRelease(this, null);
      }
    }

    /** Stops and forgets the slot. */
    public void close() {
      stop();
      slots.remove(this);
    }

    /** The scanner's side: extends the current delivery's lease if it is due. */
    private void renewIfDue(long now) {
      TransportDelivery d = (TransportDelivery) DELIVERY.getAcquire(this);
      if (d == null) {
        return;
      }
      long s = (long) SINCE.getVolatile(this);
      if (now - s < intervalNanos - tickNanos) {
        return;
      }
      if (overdue.getAsBoolean()) {
        if (warned != d) {
          warned = d;
          log.warn("the handler of message {} ran past its handlerTimeout and grace; not extending its lease "
              + "while it is overdue", d.message().id());
        }
        return; // left due: renewed on the first scan after its call returns in time, or the next starts
      }
      // Unless a start for the next delivery came in between: its clock starts at its own start.
      if (!SINCE.compareAndSet(this, s, now) || DELIVERY.getVolatile(this) != d) {
        return;
      }
      try {
        d.extendLease(); // a settled delivery ignores it, should this one have been settled meanwhile
      } catch (Throwable e) { // an Error too (NoClassDefFoundError, say): the next interval tries again
        log.warn("extending the lease of message {} failed; the broker may redeliver it when the lease runs out",
            d.message().id(), e);
      }
    }
  }

  /** A slot for one thread's successive deliveries; a no-op one without an interval. */
  public Slot slot(BooleanSupplier overdue) {
    Slot s = new Slot(Objects.requireNonNull(overdue, "overdue"));
    if (s.live) {
      slots.add(s);
    }
    return s;
  }

  /**
   * Renews {@code d}'s lease every interval until {@link Lease#stop()}, except while {@code overdue}
   * says its handler ran past its timeout and grace. A slot of its own, for a one-off renewal.
   */
  public Lease start(TransportDelivery d, BooleanSupplier overdue) {
    Slot s = slot(overdue);
    s.start(d);
    return s::close;
  }

  /**
   * Nothing may escape: a periodic task that throws is cancelled for good, and no lease of this
   * Courier would be renewed again. So any Throwable, an Error included, is logged and the scan goes
   * on with the next slot; the next tick runs as usual.
   */
  private void scan() {
    try {
      long now = System.nanoTime();
      for (Slot s : slots) {
        try {
          s.renewIfDue(now);
        } catch (Throwable e) {
          failed(e);
        }
      }
    } catch (Throwable e) {
      failed(e);
    }
  }

  private static void failed(Throwable e) {
    try {
      log.error("lease renewal scan failed; it goes on", e);
    } catch (Throwable ignored) { // logging failed too (out of memory, say): the scan must still go on
    }
  }

  @Override
  public void close() {
    if (scheduler != null) {
      scheduler.shutdownNow();
    }
  }
}
