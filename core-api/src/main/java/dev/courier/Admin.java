package dev.courier;

import java.util.OptionalLong;

/**
 * Provisioning and dead-letter operations. Calls are blocking; provisioning calls are idempotent
 * and safe to repeat at every start-up.
 */
public interface Admin {
  /** Creates the topic if the broker needs it to exist. */
  void ensureTopic(String topic);

  /**
   * Creates the group (durable subscription) on {@code topic}, with {@link GroupOptions#defaults()}.
   * From then on the group keeps every message published to the topic until it is consumed, even
   * if nobody is subscribed yet.
   */
  default void ensureGroup(String topic, String group) {
    ensureGroup(topic, group, GroupOptions.defaults());
  }

  /**
   * Creates the group with what {@code options} needs at creation; provision a group that ordered
   * subscriptions will use with {@code GroupOptions.defaults().withOrderedByKey(true)}, as some
   * brokers fix ordering when a group is created.
   *
   * @throws IncompatibleGroupException if the group exists, was created with less than
   *     {@code options} asks for, and the broker cannot change it
   */
  void ensureGroup(String topic, String group, GroupOptions options);

  /**
   * The dead letters of {@code group} on {@code topic}, in the adapter's derived dead-letter topic
   * ({@code <topic>.<group>.dlq} or the broker's variant). Validates the names before any I/O.
   */
  default DeadLetters deadLetters(String topic, String group) {
    return deadLetters(topic, group, DeadLetterPolicy.defaults());
  }

  /** The dead letters of a subscription whose dead-letter topic is set by {@code policy}. */
  DeadLetters deadLetters(String topic, String group, DeadLetterPolicy policy);

  /**
   * Messages of {@code group} on {@code topic} not yet consumed: approximate where the broker
   * estimates, empty where it cannot tell. May ask the broker: do not call it per message.
   */
  OptionalLong backlog(String topic, String group);
}
