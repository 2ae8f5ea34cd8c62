package dev.courier;

/**
 * Code that runs around every handler call, on the handler's thread: open a span scope, time the
 * call, put values in a thread-local. Register with {@link Courier.Builder#deliveryInterceptor} or
 * {@link Courier#addDeliveryInterceptor}; several run in registration order, the first registered
 * outermost, all of them inside the subscription's handler timeout and the SLF4J MDC
 * ({@link CourierMdc}), and around each in-process attempt separately ({@link Delivery#attempt()}
 * tells which).
 *
 * <p>Contract: call {@code next.handle(delivery)} exactly once, on the calling thread, and let what
 * it throws propagate (record it, then rethrow); throwing is a handler failure and takes the failure
 * path. An interceptor that returns normally without calling it exactly once, or after swallowing
 * what the handler threw, fails the call too (an {@link IllegalStateException}, or the handler's own
 * failure): Courier never acks a message the handler did not take. Keep it
 * fast, it runs for every call of every subscription of the Courier.
 */
@FunctionalInterface
public interface DeliveryInterceptor {
  void around(Delivery delivery, MessageHandler next) throws Exception;
}
