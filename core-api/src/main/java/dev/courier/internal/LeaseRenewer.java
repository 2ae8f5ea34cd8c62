package dev.courier.internal;

import dev.courier.spi.TransportDelivery;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps started deliveries' leases alive for adapters that declare
 * {@link dev.courier.Capabilities#leaseRenewalInterval()}: one scheduler thread per Courier calls
 * {@link TransportDelivery#extendLease()} on the adapter's interval, so a long handler costs a
 * timer, not a thread. Without an interval it does nothing and starts no thread.
 */
public final class LeaseRenewer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LeaseRenewer.class);
  private static final Lease NONE = () -> {};

  private final long intervalNanos;
  private final ScheduledThreadPoolExecutor scheduler; // null without an interval

  public LeaseRenewer(Optional<Duration> interval) {
    this.intervalNanos = interval.map(Duration::toNanos).orElse(0L);
    if (intervalNanos > 0) {
      scheduler = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "courier-lease-renewer");
        t.setDaemon(true);
        return t;
      });
      scheduler.setRemoveOnCancelPolicy(true);
    } else {
      scheduler = null;
    }
  }

  /** A started delivery's renewal; {@link #stop()} is idempotent. */
  public interface Lease {
    void stop();
  }

  /**
   * Renews {@code d}'s lease every interval until {@link Lease#stop()}, or until {@code overdue}
   * says its handler ran past its timeout and grace (it is then abandoned and settled anyway).
   */
  public Lease start(TransportDelivery d, BooleanSupplier overdue) {
    if (scheduler == null || scheduler.isShutdown()) {
      return NONE;
    }
    Renewal r = new Renewal(d, overdue);
    try {
      r.future = scheduler.scheduleAtFixedRate(r, intervalNanos, intervalNanos, TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      return NONE; // closing
    }
    return r;
  }

  @Override
  public void close() {
    if (scheduler != null) {
      scheduler.shutdownNow();
    }
  }

  private static final class Renewal implements Runnable, Lease {
    private final TransportDelivery d;
    private final BooleanSupplier overdue;
    private volatile ScheduledFuture<?> future;
    private volatile boolean stopped;

    Renewal(TransportDelivery d, BooleanSupplier overdue) {
      this.d = d;
      this.overdue = overdue;
    }

    @Override
    public void run() {
      if (stopped) {
        stop(); // stopped before its future was known
        return;
      }
      if (overdue.getAsBoolean()) {
        log.warn("the handler of message {} ran past its handlerTimeout and grace; no longer extending its lease",
            d.message().id());
        stop();
        return;
      }
      try {
        d.extendLease();
      } catch (RuntimeException e) {
        log.warn("extending the lease of message {} failed; the broker may redeliver it when the lease runs out",
            d.message().id(), e);
      }
    }

    @Override
    public void stop() {
      stopped = true;
      ScheduledFuture<?> f = future;
      if (f != null) {
        f.cancel(false);
      }
    }
  }
}
