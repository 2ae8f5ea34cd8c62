package dev.courier.spi;

/** A running consumer created by {@link Transport#receive}. Thread-safe. */
public interface Receiver extends AutoCloseable {
  /**
   * Stops handing new deliveries to the sink; deliveries already handed over can still be settled.
   * Returns promptly; idempotent.
   */
  void stopFetching();

  /**
   * Returns every delivery not yet settled to the broker for redelivery (without counting as a
   * handler failure where the broker allows), and frees resources. Settling afterwards does
   * nothing. Idempotent.
   */
  @Override
  void close();
}
