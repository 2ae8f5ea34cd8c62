package dev.courier.spi.support;

import dev.courier.spi.TransportDelivery;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * The settlement rules of {@link TransportDelivery}, written once: an adapter's delivery extends
 * this and implements what settling does on its broker ({@link #doAck}, {@link #doNack}, and where
 * they differ from a nack, {@link #doRelease} and {@link #doDefer}).
 *
 * <p>One atomic state: {@code UNSTARTED → STARTED} ({@link #tryStart}), {@code UNSTARTED |
 * STARTED → SETTLED} (the first ack, nack, release or defer; later ones do nothing), and, for
 * adapters that take deliveries back, {@code UNSTARTED → WITHDRAWN} ({@link #withdraw}) or {@code
 * UNSTARTED | STARTED → WITHDRAWN} ({@link #takeBack}). So a delivery is either started or
 * withdrawn, never both, and a withdrawn one is never settled. A delivery settled once its owner
 * (receiver, consumer) is closed counts as settled and its hook is not called: closing the owner
 * has returned it to the broker already.
 *
 * <p>The hooks run on the settling thread, at most one of them per delivery, with a non-null,
 * non-negative delay. {@link #withdraw}, {@link #takeBack}, {@link #isStarted} and {@link #isOver}
 * are for the adapter that owns the delivery (Courier's core sees only {@link TransportDelivery}).
 */
public abstract class SettleOnceDelivery implements TransportDelivery {
  private static final int UNSTARTED = 0;
  private static final int STARTED = 1;
  private static final int SETTLED = 2;
  private static final int WITHDRAWN = 3;

  private final AtomicInteger state = new AtomicInteger(UNSTARTED);
  private final BooleanSupplier ownerClosed;

  /** A delivery whose owner never turns settling into a no-op. */
  protected SettleOnceDelivery() {
    this(() -> false);
  }

  /** {@code ownerClosed}: true once settling this delivery must do nothing (its owner closed). */
  protected SettleOnceDelivery(BooleanSupplier ownerClosed) {
    this.ownerClosed = Objects.requireNonNull(ownerClosed, "ownerClosed");
  }

  /** Removes the message from the group. */
  protected abstract void doAck();

  /** Returns the message to be delivered again, counted, no sooner than {@code delay}. */
  protected abstract void doNack(Duration delay);

  /** Returns the message unhandled and, where the broker allows, uncounted. By default a nack now. */
  protected void doRelease() {
    doNack(Duration.ZERO);
  }

  /** Returns the message untried, no sooner than {@code delay}. By default a nack. */
  protected void doDefer(Duration delay) {
    doNack(delay);
  }

  @Override
  public final void ack() {
    if (settle()) {
      doAck();
    }
  }

  @Override
  public final void nack(Duration redeliverAfter) {
    if (settle()) {
      doNack(orZero(redeliverAfter));
    }
  }

  @Override
  public final void release() {
    if (settle()) {
      doRelease();
    }
  }

  @Override
  public final void defer(Duration redeliverAfter) {
    if (settle()) {
      doDefer(orZero(redeliverAfter));
    }
  }

  /** True when the delivery was withdrawn or taken back. Adapters may add their own reasons. */
  @Override
  public boolean isWithdrawn() {
    return state.get() == WITHDRAWN;
  }

  /**
   * Starts the delivery unless it was withdrawn (here or by the adapter's own {@link #isWithdrawn});
   * true also for a delivery settled before it started (a subclass may refuse that case).
   */
  @Override
  public boolean tryStart() {
    while (true) {
      int s = state.get();
      if (s == WITHDRAWN || isWithdrawn()) {
        return false;
      }
      if (s != UNSTARTED || state.compareAndSet(UNSTARTED, STARTED)) {
        return true;
      }
    }
  }

  /** Takes the delivery back if no handler started on it and it is not settled. */
  public final boolean withdraw() {
    return state.compareAndSet(UNSTARTED, WITHDRAWN);
  }

  /**
   * Takes the delivery back if it is not settled, even if its handler started (an expired lease, a
   * consumer removed): from then on settling it does nothing.
   */
  public final boolean takeBack() {
    while (true) {
      int s = state.get();
      if (s == SETTLED || s == WITHDRAWN) {
        return false;
      }
      if (state.compareAndSet(s, WITHDRAWN)) {
        return true;
      }
    }
  }

  /** Started and neither settled nor taken back yet. */
  public final boolean isStarted() {
    return state.get() == STARTED;
  }

  /** Settled, withdrawn or taken back: nothing further happens to it. */
  public final boolean isOver() {
    int s = state.get();
    return s == SETTLED || s == WITHDRAWN;
  }

  /** Moves to SETTLED; true if this call did it and the owner is still open. */
  private boolean settle() {
    while (true) {
      int s = state.get();
      if (s == SETTLED || s == WITHDRAWN) {
        return false;
      }
      if (state.compareAndSet(s, SETTLED)) {
        return !ownerClosed.getAsBoolean();
      }
    }
  }

  private static Duration orZero(Duration d) {
    return d == null || d.isNegative() ? Duration.ZERO : d;
  }
}
