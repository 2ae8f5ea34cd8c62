/**
 * Small, optional helpers an adapter may reuse instead of writing its own: a settle-once delivery
 * ({@link dev.courier.spi.support.SettleOnceDelivery}), exponential backoff with jitter
 * ({@link dev.courier.spi.support.Backoff}), a rate-limited log gate
 * ({@link dev.courier.spi.support.RateLimitedLog}) and named daemon threads
 * ({@link dev.courier.spi.support.Threads}). None of them is required by the SPI.
 */
package dev.courier.spi.support;
