package dev.courier;

import dev.courier.internal.Durations;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * What to consume and how: topic and group, handler concurrency, the bound on unsettled
 * deliveries, per-key ordering, and the reliability settings. Immutable; names are checked
 * against the adapter's rules when subscribing.
 */
public final class SubscriptionOptions {
  private final String topic;
  private final String group;
  private final int concurrency;
  private final int maxInFlight;
  private final int requestedMaxInFlight; // 0: derived from concurrency
  private final boolean orderedByKey;
  private final RetryPolicy retry;
  private final DeadLetterPolicy deadLetter;
  private final Idempotency idempotency;
  private final Duration handlerTimeout;
  private final Duration drainTimeout;

  private SubscriptionOptions(Builder b) {
    this.topic = b.topic;
    this.group = b.group;
    this.concurrency = b.concurrency;
    this.requestedMaxInFlight = b.maxInFlight;
    this.maxInFlight = b.maxInFlight != 0 ? b.maxInFlight : Math.max(64, b.concurrency * 4);
    this.orderedByKey = b.orderedByKey;
    this.retry = b.retry;
    this.deadLetter = b.deadLetter;
    this.idempotency = b.idempotency;
    this.handlerTimeout = b.handlerTimeout;
    this.drainTimeout = b.drainTimeout;
  }

  public static Builder builder(String topic, String group) {
    return new Builder(topic, group);
  }

  /** Defaults for everything but the names. */
  public static SubscriptionOptions of(String topic, String group) {
    return builder(topic, group).build();
  }

  public Builder toBuilder() {
    Builder b = new Builder(topic, group);
    b.concurrency = concurrency;
    b.maxInFlight = requestedMaxInFlight; // a derived value stays derived when concurrency changes
    b.orderedByKey = orderedByKey;
    b.retry = retry;
    b.deadLetter = deadLetter;
    b.idempotency = idempotency;
    b.handlerTimeout = handlerTimeout;
    b.drainTimeout = drainTimeout;
    return b;
  }

  public String topic() {
    return topic;
  }

  public String group() {
    return group;
  }

  /** Handler threads; default 1. */
  public int concurrency() {
    return concurrency;
  }

  /** Most deliveries received but not yet settled; default max(64, 4 × concurrency). */
  public int maxInFlight() {
    return maxInFlight;
  }

  /** Handle messages with the same key one at a time, in order (needs ORDERED_BY_KEY). */
  public boolean orderedByKey() {
    return orderedByKey;
  }

  public RetryPolicy retry() {
    return retry;
  }

  public DeadLetterPolicy deadLetter() {
    return deadLetter;
  }

  public Optional<Idempotency> idempotency() {
    return Optional.ofNullable(idempotency);
  }

  /**
   * A handler call running longer is interrupted and counted as failed; default 60 s. A call that
   * ignores the interrupt for a grace period (this timeout, within 1 s … 10 s) is abandoned: its
   * delivery is settled as failed, its thread replaced, and its late result ignored.
   */
  public Duration handlerTimeout() {
    return handlerTimeout;
  }

  /** How long {@link Subscription#close()} waits for running handlers; default 30 s. */
  public Duration drainTimeout() {
    return drainTimeout;
  }

  @Override
  public String toString() {
    return "SubscriptionOptions{topic=" + topic + ", group=" + group + ", concurrency=" + concurrency
        + ", maxInFlight=" + maxInFlight + ", orderedByKey=" + orderedByKey + ", retry=" + retry
        + ", deadLetter=" + deadLetter + ", idempotency=" + idempotency
        + ", handlerTimeout=" + handlerTimeout + ", drainTimeout=" + drainTimeout + '}';
  }

  /** Validating builder; each setter rejects a bad value at once, naming the parameter. */
  public static final class Builder {
    private final String topic;
    private final String group;
    private int concurrency = 1;
    private int maxInFlight;
    private boolean orderedByKey;
    private RetryPolicy retry = RetryPolicy.defaults();
    private DeadLetterPolicy deadLetter = DeadLetterPolicy.defaults();
    private Idempotency idempotency;
    private Duration handlerTimeout = Duration.ofSeconds(60);
    private Duration drainTimeout = Duration.ofSeconds(30);

    private Builder(String topic, String group) {
      this.topic = notBlank(topic, "topic");
      this.group = notBlank(group, "group");
    }

    public Builder concurrency(int concurrency) {
      if (concurrency < 1 || concurrency > 1024) {
        throw new IllegalArgumentException("concurrency must be in [1, 1024], was " + concurrency);
      }
      this.concurrency = concurrency;
      return this;
    }

    public Builder maxInFlight(int maxInFlight) {
      if (maxInFlight < 1 || maxInFlight > 1_000_000) {
        throw new IllegalArgumentException("maxInFlight must be in [1, 1000000], was " + maxInFlight);
      }
      this.maxInFlight = maxInFlight;
      return this;
    }

    public Builder orderedByKey(boolean orderedByKey) {
      this.orderedByKey = orderedByKey;
      return this;
    }

    public Builder retry(RetryPolicy retry) {
      this.retry = Objects.requireNonNull(retry, "retry");
      return this;
    }

    public Builder deadLetter(DeadLetterPolicy deadLetter) {
      this.deadLetter = Objects.requireNonNull(deadLetter, "deadLetter");
      return this;
    }

    public Builder idempotency(Idempotency idempotency) {
      this.idempotency = Objects.requireNonNull(idempotency, "idempotency");
      return this;
    }

    /** Positive; longer than 36,500 days counts as 36,500 days ("forever"). */
    public Builder handlerTimeout(Duration timeout) {
      this.handlerTimeout = positive(timeout, "handlerTimeout");
      return this;
    }

    /** Not negative; longer than 36,500 days counts as 36,500 days ("forever"). */
    public Builder drainTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "drainTimeout");
      if (timeout.isNegative()) {
        throw new IllegalArgumentException("drainTimeout must not be negative, was " + timeout);
      }
      this.drainTimeout = Durations.capped(timeout);
      return this;
    }

    public SubscriptionOptions build() {
      if (maxInFlight != 0 && maxInFlight < concurrency) {
        throw new IllegalArgumentException("maxInFlight (" + maxInFlight
            + ") must not be less than concurrency (" + concurrency + ")");
      }
      return new SubscriptionOptions(this);
    }

    private static String notBlank(String value, String name) {
      Objects.requireNonNull(value, name);
      if (value.isBlank()) {
        throw new IllegalArgumentException(name + " must not be blank");
      }
      return value;
    }

    private static Duration positive(Duration d, String name) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, was " + d);
      }
      return Durations.capped(d);
    }
  }
}
