package dev.courier.tck;

/**
 * Stops and starts the broker under test, for the TCK's fault rules. Both calls block until done:
 * after {@link #stop()} the broker no longer answers; after {@link #start()} it accepts clients
 * again at the same address, with its stored messages when the adapter declares PERSISTENT.
 */
public interface BrokerControl {
  void stop() throws Exception;

  void start() throws Exception;
}
