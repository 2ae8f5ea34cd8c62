package dev.courier;

/**
 * A running consumer of one group on one topic, returned by {@link Courier#subscribe}.
 * Thread-safe.
 */
public interface Subscription extends AutoCloseable {
  String topic();

  String group();

  /** True until {@link #close()} begins. */
  boolean isOpen();

  /**
   * Unsettled deliveries now, the most at once so far, and {@code maxInFlight}: counted by Courier
   * as the adapter hands deliveries over, so a peak above the limit is the adapter's fault.
   */
  InFlight inFlight();

  /**
   * Stops fetching, waits up to the subscription's drain timeout for running handlers, settles
   * what they finished, and returns every other delivery to the broker for redelivery. Never acks
   * a message whose handler did not complete. Idempotent; blocks until done.
   */
  @Override
  void close();
}
