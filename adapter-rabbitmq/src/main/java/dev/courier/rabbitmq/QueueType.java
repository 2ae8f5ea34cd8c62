package dev.courier.rabbitmq;

/** The kind of RabbitMQ queue that backs a group. */
public enum QueueType {
  /**
   * Replicated Raft queue (the default): durable, counts deliveries ({@code x-delivery-count}), so
   * {@code Delivery.attempt()} comes from the broker.
   */
  QUORUM,
  /**
   * Classic durable queue: for old servers or single-node setups that prefer it. The broker only
   * flags redeliveries, so attempts after a requeue are counted as at most one more.
   */
  CLASSIC
}
