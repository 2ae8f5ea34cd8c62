package dev.courier.spi;

/**
 * Where an adapter hands its deliveries. Called from the adapter's threads; returns quickly (the
 * core queues the delivery for a handler thread) and never throws.
 */
@FunctionalInterface
public interface DeliverySink {
  void accept(TransportDelivery delivery);
}
