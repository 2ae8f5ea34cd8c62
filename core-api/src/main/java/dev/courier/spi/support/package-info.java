/**
 * Small, optional helpers an adapter may reuse instead of writing its own: a settle-once delivery
 * ({@link dev.courier.spi.support.SettleOnceDelivery}), exponential backoff with jitter
 * ({@link dev.courier.spi.support.Backoff}), a rate-limited log gate
 * ({@link dev.courier.spi.support.RateLimitedLog}), named daemon threads
 * ({@link dev.courier.spi.support.Threads}), payload access without copies
 * ({@link dev.courier.spi.support.Payloads}), broker address checks
 * ({@link dev.courier.spi.support.HostPorts}), a transport's open/closed state and open receivers,
 * closed with it even when a receive races the close ({@link dev.courier.spi.support.OpenReceivers}),
 * and bases for wrappers that forward every method of a transport or a delivery
 * ({@link dev.courier.spi.support.ForwardingTransport},
 * {@link dev.courier.spi.support.ForwardingDelivery}). None of them is required by the SPI.
 */
package dev.courier.spi.support;
