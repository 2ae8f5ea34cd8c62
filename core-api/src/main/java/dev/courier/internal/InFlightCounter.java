package dev.courier.internal;

import dev.courier.InFlight;
import dev.courier.spi.TransportDelivery;
import dev.courier.spi.support.ForwardingDelivery;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts a subscription's unsettled deliveries at the SPI boundary: each delivery the adapter hands
 * over is wrapped, and leaves the count once, at its first settlement (before the adapter hears of
 * it, so a delivery the adapter sends in reply is never counted beside it) or when the adapter is
 * seen to have withdrawn it.
 */
final class InFlightCounter {
  private final int limit;
  private final AtomicInteger now = new AtomicInteger();
  private final AtomicInteger peak = new AtomicInteger();

  InFlightCounter(int limit) {
    this.limit = limit;
  }

  /** Counts {@code d} in; settle or query the returned delivery instead of {@code d}. */
  TransportDelivery track(TransportDelivery d) {
    now.incrementAndGet();
    return new Counted(d, this);
  }

  int now() {
    return now.get();
  }

  /** Records {@code n} unsettled deliveries at once, after withdrawn ones were counted out. */
  void observe(int n) {
    peak.accumulateAndGet(n, Math::max);
  }

  InFlight snapshot() {
    return new InFlight(now.get(), peak.get(), limit);
  }

  /** A delivery that leaves its counter once. */
  private static final class Counted extends ForwardingDelivery {
    private static final VarHandle DONE;

    static {
      try {
        DONE = MethodHandles.lookup().findVarHandle(Counted.class, "done", int.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    private final InFlightCounter counter;
    @SuppressWarnings("unused") // through DONE
    private volatile int done;

    Counted(TransportDelivery d, InFlightCounter counter) {
      super(d);
      this.counter = counter;
    }

    private void out() {
      if (DONE.compareAndSet(this, 0, 1)) {
        counter.now.decrementAndGet();
      }
    }

    @Override
    public void ack() {
      out();
      super.ack();
    }

    @Override
    public void nack(Duration redeliverAfter) {
      out();
      super.nack(redeliverAfter);
    }

    @Override
    public void release() {
      out();
      super.release();
    }

    @Override
    public void defer(Duration redeliverAfter) {
      out();
      super.defer(redeliverAfter);
    }

    @Override
    public boolean isWithdrawn() {
      boolean withdrawn = super.isWithdrawn();
      if (withdrawn) {
        out();
      }
      return withdrawn;
    }

    @Override
    public boolean tryStart() {
      boolean started = super.tryStart();
      if (!started) {
        out();
      }
      return started;
    }
  }
}
