/**
 * Small, optional helpers an adapter may reuse instead of writing its own: a settle-once delivery
 * ({@link dev.courier.spi.support.SettleOnceDelivery}), exponential backoff with jitter
 * ({@link dev.courier.spi.support.Backoff}), a rate-limited log gate
 * ({@link dev.courier.spi.support.RateLimitedLog}), named daemon threads
 * ({@link dev.courier.spi.support.Threads}) and payload access without copies
 * ({@link dev.courier.spi.support.Payloads}). None of them is required by the SPI.
 */
package dev.courier.spi.support;
