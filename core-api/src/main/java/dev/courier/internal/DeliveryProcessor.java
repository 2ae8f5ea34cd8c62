package dev.courier.internal;

import dev.courier.CourierListener;
import dev.courier.spi.TransportDelivery;

/**
 * Runs one raw delivery through the reliability layer and settles it (ack, nack with delay, or
 * dead-letter then ack). Called on a handler thread of the subscription; must never throw. Gives
 * each handler call's {@link HandlerWatchdog.Call#start} a way to settle the delivery without it
 * (an {@link Abandonment}), and returns at once, settling nothing, if the call was abandoned.
 */
public interface DeliveryProcessor {
  void process(TransportDelivery delivery, HandlerWatchdog.Call call);

  /**
   * Reports a started delivery the processor did not settle, handed back for {@code reason}: with
   * {@code alsoStarted}, one {@link #process} never saw, so its start is reported first.
   */
  void released(TransportDelivery delivery, CourierListener.Release reason, boolean alsoStarted);

  /** What a handler call gives the watchdog: settles its delivery in the abandoned call's place. */
  interface Abandonment extends Runnable {
    /** The delivery could not be settled in the call's place (taken back, or closed): report it. */
    void unsettled();
  }
}
