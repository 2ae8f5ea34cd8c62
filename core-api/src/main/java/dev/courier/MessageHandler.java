package dev.courier;

/**
 * Application code that handles one delivery. Returning normally acknowledges the message; throwing
 * anything (an {@link Error} included) hands it to the failure path: in-process retries, then
 * delayed redelivery through the broker, then the dead-letter topic, per the subscription's
 * {@link RetryPolicy}. A handler may be called concurrently up to the subscription's concurrency,
 * and must tolerate seeing a message again (delivery is at least once).
 */
@FunctionalInterface
public interface MessageHandler {
  void handle(Delivery delivery) throws Exception;
}
