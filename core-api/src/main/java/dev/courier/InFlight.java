package dev.courier;

/**
 * Deliveries an adapter has handed to a subscription that Courier has not yet settled (acked,
 * nacked or handed back) and that the adapter has not taken back: how many now, the most at once
 * since the subscription started, and the subscription's {@code maxInFlight}, which the adapter
 * promises never to exceed.
 */
public record InFlight(int now, int peak, int limit) {}
