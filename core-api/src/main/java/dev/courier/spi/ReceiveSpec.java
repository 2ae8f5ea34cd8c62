package dev.courier.spi;

import java.util.Objects;

/**
 * What {@link Transport#receive} should consume.
 *
 * @param topic a validated topic name
 * @param group a validated group name
 * @param maxInFlight most deliveries handed to the sink and not yet settled
 * @param orderedByKey whether same-key messages must be handed over one at a time, in order
 */
public record ReceiveSpec(String topic, String group, int maxInFlight, boolean orderedByKey) {
  public ReceiveSpec {
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(group, "group");
    if (maxInFlight < 1) {
      throw new IllegalArgumentException("maxInFlight must be at least 1, was " + maxInFlight);
    }
  }
}
