package dev.courier.spi;

import dev.courier.GroupOptions;
import java.util.Objects;

/**
 * What {@link Transport#receive} should consume.
 *
 * @param topic a validated topic name
 * @param group a validated group name
 * @param maxInFlight most deliveries handed to the sink and not yet settled
 * @param groupOptions what the group must give, created with them if it does not exist yet (see
 *     {@link Transport#ensureGroup(String, String, GroupOptions)})
 */
public record ReceiveSpec(String topic, String group, int maxInFlight, GroupOptions groupOptions) {
  public ReceiveSpec {
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(group, "group");
    Objects.requireNonNull(groupOptions, "groupOptions");
    if (maxInFlight < 1) {
      throw new IllegalArgumentException("maxInFlight must be at least 1, was " + maxInFlight);
    }
  }

  /** A spec whose group options ask for {@code orderedByKey} only. */
  public ReceiveSpec(String topic, String group, int maxInFlight, boolean orderedByKey) {
    this(topic, group, maxInFlight, GroupOptions.defaults().withOrderedByKey(orderedByKey));
  }

  /** Whether same-key messages must be handed over one at a time, in order. */
  public boolean orderedByKey() {
    return groupOptions.orderedByKey();
  }
}
