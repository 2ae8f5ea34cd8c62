package dev.courier.internal;

import dev.courier.spi.TransportDelivery;

/**
 * Runs one raw delivery through the reliability layer and settles it (ack, nack with delay, or
 * dead-letter then ack). Called on a handler thread of the subscription; must never throw. Gives
 * each handler call's {@link HandlerWatchdog.Call#start} a way to settle the delivery without it,
 * and returns at once, settling nothing, if the call was abandoned.
 */
public interface DeliveryProcessor {
  void process(TransportDelivery delivery, HandlerWatchdog.Call call);
}
