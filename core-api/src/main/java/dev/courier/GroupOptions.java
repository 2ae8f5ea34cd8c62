package dev.courier;

/**
 * What a group (durable subscription) needs from the broker when it is created. Some brokers fix
 * these at creation and cannot change them later (RabbitMQ's single active consumer, an SQS FIFO
 * queue, a Pub/Sub subscription with message ordering); others need nothing at creation and ignore
 * them. Immutable: {@code withX()} returns a copy.
 *
 * <p>A group created with options serves subscriptions that ask for less (an ordered group serves
 * an unordered subscription). Asking an existing group for more than it was created with fails with
 * {@link IncompatibleGroupException} where the broker fixes it at creation, instead of silently not
 * ordering.
 */
public final class GroupOptions {
  private static final GroupOptions DEFAULTS = new GroupOptions(false);
  private static final GroupOptions ORDERED = new GroupOptions(true);

  private final boolean orderedByKey;

  private GroupOptions(boolean orderedByKey) {
    this.orderedByKey = orderedByKey;
  }

  /** No ordering: what {@link Admin#ensureGroup(String, String)} creates. */
  public static GroupOptions defaults() {
    return DEFAULTS;
  }

  /**
   * Whether the group keeps same-key messages in publish order across all its subscribers. A
   * subscription with {@link SubscriptionOptions#orderedByKey()} asks for it.
   */
  public boolean orderedByKey() {
    return orderedByKey;
  }

  public GroupOptions withOrderedByKey(boolean orderedByKey) {
    return orderedByKey ? ORDERED : DEFAULTS;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof GroupOptions other && other.orderedByKey == orderedByKey;
  }

  @Override
  public int hashCode() {
    return Boolean.hashCode(orderedByKey);
  }

  @Override
  public String toString() {
    return "GroupOptions{orderedByKey=" + orderedByKey + '}';
  }
}
