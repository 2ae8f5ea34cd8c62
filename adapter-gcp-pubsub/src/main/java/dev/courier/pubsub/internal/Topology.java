package dev.courier.pubsub.internal;

import com.google.api.gax.rpc.AlreadyExistsException;
import com.google.api.gax.rpc.ApiException;
import com.google.protobuf.FieldMask;
import com.google.pubsub.v1.DeadLetterPolicy;
import com.google.pubsub.v1.ProjectSubscriptionName;
import com.google.pubsub.v1.Subscription;
import com.google.pubsub.v1.TopicName;
import com.google.pubsub.v1.UpdateSubscriptionRequest;
import dev.courier.CourierException;
import dev.courier.GroupOptions;
import dev.courier.IncompatibleGroupException;
import dev.courier.spi.NamingRules;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Topics and subscriptions, created idempotently. A group is the subscription
 * {@code <topic>~<group>} (the joiner '~' is one Pub/Sub names allow and Courier names do not, so
 * no two pairs meet; over 255 characters a name is cut and hashed by {@link NamingRules}).
 *
 * <p>Every subscription Courier creates has a dead-letter policy, because only then does Pub/Sub
 * count delivery attempts: its topic is the project's {@value #UNDELIVERABLE} (and the subscription
 * of the same name on it keeps what lands there), its maximum {@value #MAX_DELIVERY_ATTEMPTS}, the
 * most Pub/Sub allows, so Courier's own dead-lettering (at the retry policy's maxDeliveries) comes
 * first. An existing subscription without a dead-letter policy gets this one added.
 */
public final class Topology {
  /** The topic and subscription where Pub/Sub moves a message after {@value #MAX_DELIVERY_ATTEMPTS} deliveries. */
  public static final String UNDELIVERABLE = "courier~undeliverable";
  public static final int MAX_DELIVERY_ATTEMPTS = 100;
  /** Pub/Sub's rule for topic and subscription ids, less '~', '+' and '%' (kept for derived names). */
  private static final Pattern NAMES = Pattern.compile("(?!goog)[A-Za-z][A-Za-z0-9._\\-]{2,}");
  private static final NamingRules NAMING = NamingRules.of(255, NAMES,
      "letters, digits, '.', '_' and '-', starting with a letter, at least 3 characters, not starting with 'goog'", ".")
      .withGroupNames("{topic}~{group}", 255);

  private final Clients clients;
  private final String project;
  private final Duration ackDeadline;
  private final Set<String> knownTopics = ConcurrentHashMap.newKeySet();
  private final Set<String> knownGroups = ConcurrentHashMap.newKeySet();

  public Topology(Clients clients, String project, Duration ackDeadline) {
    this.clients = clients;
    this.project = project;
    this.ackDeadline = ackDeadline;
  }

  /** The naming rules of Pub/Sub topics and groups. */
  public static NamingRules naming() {
    return NAMING;
  }

  public String project() {
    return project;
  }

  public TopicName topicName(String topic) {
    return TopicName.of(project, topic);
  }

  /** The full subscription name of {@code group} on {@code topic}. */
  public String subscriptionName(String topic, String group) {
    return ProjectSubscriptionName.format(project, NAMING.groupName(topic, group));
  }

  public void ensureTopic(String topic) {
    if (knownTopics.contains(topic)) {
      return;
    }
    try {
      clients.topics().createTopic(topicName(topic));
    } catch (AlreadyExistsException e) {
      // idempotent
    } catch (ApiException e) {
      throw failure("create topic '" + topic + "'", e);
    }
    knownTopics.add(topic);
  }

  /** Creates the group's subscription if missing; returns its full name. */
  public String ensureGroup(String topic, String group, GroupOptions options) {
    Objects.requireNonNull(options, "options");
    String name = subscriptionName(topic, group);
    String known = name + (options.orderedByKey() ? "#ordered" : "");
    if (knownGroups.contains(known)) {
      return name;
    }
    ensureTopic(topic);
    ensureUndeliverable();
    createOrCheck(name, topicName(topic).toString(), options.orderedByKey(), deadLetterPolicy(), group);
    knownGroups.add(known);
    return name;
  }

  private void ensureUndeliverable() {
    if (knownTopics.contains(UNDELIVERABLE)) {
      return;
    }
    try {
      clients.topics().createTopic(topicName(UNDELIVERABLE));
    } catch (AlreadyExistsException e) {
      // idempotent
    } catch (ApiException e) {
      throw failure("create topic '" + UNDELIVERABLE + "'", e);
    }
    // Its own subscription keeps what lands there; it counts deliveries too, and a message
    // exhausting it there goes round again rather than being lost.
    String sub = ProjectSubscriptionName.format(project, UNDELIVERABLE);
    createOrCheck(sub, topicName(UNDELIVERABLE).toString(), false, deadLetterPolicy(), UNDELIVERABLE);
    knownTopics.add(UNDELIVERABLE);
  }

  private DeadLetterPolicy deadLetterPolicy() {
    return DeadLetterPolicy.newBuilder().setDeadLetterTopic(topicName(UNDELIVERABLE).toString())
        .setMaxDeliveryAttempts(MAX_DELIVERY_ATTEMPTS).build();
  }

  private void createOrCheck(String name, String topic, boolean ordered, DeadLetterPolicy policy, String group) {
    Subscription wanted = Subscription.newBuilder().setName(name).setTopic(topic)
        .setAckDeadlineSeconds((int) ackDeadline.toSeconds()).setEnableMessageOrdering(ordered)
        .setDeadLetterPolicy(policy).build();
    Subscription existing;
    try {
      clients.subscriptions().createSubscription(wanted);
      return;
    } catch (AlreadyExistsException e) {
      try {
        existing = clients.subscriptions().getSubscription(name);
      } catch (ApiException e2) {
        throw failure("read subscription '" + name + "'", e2);
      }
    } catch (ApiException e) {
      throw failure("create subscription '" + name + "'", e);
    }
    if (!existing.getTopic().equals(topic)) {
      throw new IncompatibleGroupException("group '" + group + "': subscription '" + name + "' exists on topic '"
          + existing.getTopic() + "', not on '" + topic + "'");
    }
    if (ordered && !existing.getEnableMessageOrdering()) {
      throw new IncompatibleGroupException("group '" + group + "' was created without message ordering (subscription '"
          + name + "'), and Pub/Sub cannot enable it later: use another group name, or delete the subscription");
    }
    if (!existing.hasDeadLetterPolicy()) {
      try {
        clients.subscriptions().updateSubscription(UpdateSubscriptionRequest.newBuilder()
            .setSubscription(Subscription.newBuilder().setName(name).setDeadLetterPolicy(policy))
            .setUpdateMask(FieldMask.newBuilder().addPaths("dead_letter_policy")).build());
      } catch (ApiException e) {
        throw failure("add a dead-letter policy (for delivery counts) to subscription '" + name + "'", e);
      }
    }
  }

  static CourierException failure(String what, ApiException e) {
    return new CourierException("Pub/Sub: cannot " + what + ": " + e.getStatusCode().getCode() + " "
        + e.getMessage(), e);
  }
}
