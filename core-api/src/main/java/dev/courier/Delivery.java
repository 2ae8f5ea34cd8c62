package dev.courier;

/**
 * One delivery of a message to a handler. Settlement belongs to the delivery, and Courier does it:
 * the handler only returns or throws.
 */
public interface Delivery {
  Message message();

  String topic();

  String group();

  /**
   * Which attempt this is, from 1, counting both retry tiers of this message in this group: the
   * n-th in-process call (1 ≤ n ≤ {@link RetryPolicy#maxInProcessAttempts()}) of the broker's d-th
   * delivery is attempt {@code (d - 1) × maxInProcessAttempts + n}. The delivery number d is the
   * broker's own redelivery count where it has one, else the count the adapter keeps across nacks
   * ({@code TransportDelivery.deliveryCount()}). So with 3 in-process attempts, the second delivery
   * starts at attempt 4, and a message dead-lettered after the last tier reports
   * {@code maxDeliveries × maxInProcessAttempts} attempts. Numbers can skip (a consumer that
   * crashed mid-retry) but never go back, except after a redrive, which starts again from 1.
   */
  int attempt();

  /** Decodes the payload; a {@link PayloadDecodeException} dead-letters the message at once. */
  default <T> T payload(Codec<T> codec) {
    return message().payload(codec);
  }
}
