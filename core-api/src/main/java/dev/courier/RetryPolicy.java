package dev.courier;

import dev.courier.internal.Durations;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * How a subscription handles a failing handler, in two tiers. First, up to
 * {@link #maxInProcessAttempts()} attempts in the handler's thread, spaced by an exponential
 * backoff with jitter ({@link #initialInterval()}, {@link #multiplier()}, {@link #maxInterval()},
 * {@link #randomizationFactor()}). Then the delivery goes back to the broker to be redelivered after
 * a growing delay ({@link #redeliveryInitialDelay()} ... {@link #redeliveryMaxDelay()}) until it has
 * been delivered {@link #maxDeliveries()} times; after the last, it is dead-lettered. Exceptions of a
 * non-retryable type skip both tiers and are dead-lettered at once, as are
 * {@link PayloadDecodeException}s. Immutable; build with {@link #builder()}.
 */
public final class RetryPolicy {
  private static final RetryPolicy DEFAULTS = builder().build();

  private final int maxInProcessAttempts;
  private final Duration initialInterval;
  private final double multiplier;
  private final Duration maxInterval;
  private final double randomizationFactor;
  private final int maxDeliveries;
  private final Duration redeliveryInitialDelay;
  private final double redeliveryMultiplier;
  private final Duration redeliveryMaxDelay;
  private final List<Class<? extends Throwable>> retryOn;
  private final List<Class<? extends Throwable>> noRetryOn;

  private RetryPolicy(Builder b) {
    this.maxInProcessAttempts = b.maxInProcessAttempts;
    this.initialInterval = b.initialInterval;
    this.multiplier = b.multiplier;
    this.maxInterval = b.maxInterval;
    this.randomizationFactor = b.randomizationFactor;
    this.maxDeliveries = b.maxDeliveries;
    this.redeliveryInitialDelay = b.redeliveryInitialDelay;
    this.redeliveryMultiplier = b.redeliveryMultiplier;
    this.redeliveryMaxDelay = b.redeliveryMaxDelay;
    this.retryOn = List.copyOf(b.retryOn);
    this.noRetryOn = List.copyOf(b.noRetryOn);
  }

  /** 3 in-process attempts from 100 ms (x2, max 2 s, ±20%), then 5 deliveries from 1 s (x2, max 5 min). */
  public static RetryPolicy defaults() {
    return DEFAULTS;
  }

  /** No retries at all: the first failure dead-letters the message. */
  public static RetryPolicy none() {
    return builder().maxInProcessAttempts(1).maxDeliveries(1).build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.maxInProcessAttempts = maxInProcessAttempts;
    b.initialInterval = initialInterval;
    b.multiplier = multiplier;
    b.maxInterval = maxInterval;
    b.randomizationFactor = randomizationFactor;
    b.maxDeliveries = maxDeliveries;
    b.redeliveryInitialDelay = redeliveryInitialDelay;
    b.redeliveryMultiplier = redeliveryMultiplier;
    b.redeliveryMaxDelay = redeliveryMaxDelay;
    b.retryOn.clear();
    b.retryOn.addAll(retryOn);
    b.noRetryOn.clear();
    b.noRetryOn.addAll(noRetryOn);
    return b;
  }

  public int maxInProcessAttempts() {
    return maxInProcessAttempts;
  }

  public Duration initialInterval() {
    return initialInterval;
  }

  public double multiplier() {
    return multiplier;
  }

  public Duration maxInterval() {
    return maxInterval;
  }

  public double randomizationFactor() {
    return randomizationFactor;
  }

  public int maxDeliveries() {
    return maxDeliveries;
  }

  public Duration redeliveryInitialDelay() {
    return redeliveryInitialDelay;
  }

  public double redeliveryMultiplier() {
    return redeliveryMultiplier;
  }

  public Duration redeliveryMaxDelay() {
    return redeliveryMaxDelay;
  }

  public List<Class<? extends Throwable>> retryOn() {
    return retryOn;
  }

  public List<Class<? extends Throwable>> noRetryOn() {
    return noRetryOn;
  }

  /**
   * Whether {@code failure} may be retried: not a {@link PayloadDecodeException}, not an instance
   * of a {@link #noRetryOn()} type, and an instance of a {@link #retryOn()} type.
   */
  public boolean isRetryable(Throwable failure) {
    Objects.requireNonNull(failure, "failure");
    if (failure instanceof PayloadDecodeException) {
      return false;
    }
    for (Class<? extends Throwable> type : noRetryOn) {
      if (type.isInstance(failure)) {
        return false;
      }
    }
    for (Class<? extends Throwable> type : retryOn) {
      if (type.isInstance(failure)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return "RetryPolicy{maxInProcessAttempts=" + maxInProcessAttempts
        + ", initialInterval=" + initialInterval + ", multiplier=" + multiplier
        + ", maxInterval=" + maxInterval + ", randomizationFactor=" + randomizationFactor
        + ", maxDeliveries=" + maxDeliveries + ", redeliveryInitialDelay=" + redeliveryInitialDelay
        + ", redeliveryMultiplier=" + redeliveryMultiplier
        + ", redeliveryMaxDelay=" + redeliveryMaxDelay + ", retryOn=" + retryOn
        + ", noRetryOn=" + noRetryOn + '}';
  }

  /** Validating builder: every setter rejects a bad value at once, naming the parameter. */
  public static final class Builder {
    private int maxInProcessAttempts = 3;
    private Duration initialInterval = Duration.ofMillis(100);
    private double multiplier = 2.0;
    private Duration maxInterval = Duration.ofSeconds(2);
    private double randomizationFactor = 0.2;
    private int maxDeliveries = 5;
    private Duration redeliveryInitialDelay = Duration.ofSeconds(1);
    private double redeliveryMultiplier = 2.0;
    private Duration redeliveryMaxDelay = Duration.ofMinutes(5);
    private final Set<Class<? extends Throwable>> retryOn = new LinkedHashSet<>(List.of(Throwable.class));
    private final Set<Class<? extends Throwable>> noRetryOn = new LinkedHashSet<>();

    private Builder() {}

    /** Handler calls per delivery, the first included; at least 1. */
    public Builder maxInProcessAttempts(int attempts) {
      this.maxInProcessAttempts = atLeastOne(attempts, "maxInProcessAttempts");
      return this;
    }

    public Builder initialInterval(Duration interval) {
      this.initialInterval = notNegative(interval, "initialInterval");
      return this;
    }

    public Builder multiplier(double multiplier) {
      this.multiplier = atLeastOne(multiplier, "multiplier");
      return this;
    }

    public Builder maxInterval(Duration interval) {
      this.maxInterval = notNegative(interval, "maxInterval");
      return this;
    }

    /**
     * Jitter: each in-process interval is drawn from [interval*(1-f), interval*(1+f)], then capped
     * at {@link #maxInterval}; 0 ≤ f &lt; 1.
     */
    public Builder randomizationFactor(double factor) {
      if (!(factor >= 0 && factor < 1)) {
        throw new IllegalArgumentException("randomizationFactor must be in [0, 1), was " + factor);
      }
      this.randomizationFactor = factor;
      return this;
    }

    /** Broker deliveries before dead-lettering, the first included; at least 1. */
    public Builder maxDeliveries(int deliveries) {
      this.maxDeliveries = atLeastOne(deliveries, "maxDeliveries");
      return this;
    }

    public Builder redeliveryInitialDelay(Duration delay) {
      this.redeliveryInitialDelay = notNegative(delay, "redeliveryInitialDelay");
      return this;
    }

    public Builder redeliveryMultiplier(double multiplier) {
      this.redeliveryMultiplier = atLeastOne(multiplier, "redeliveryMultiplier");
      return this;
    }

    public Builder redeliveryMaxDelay(Duration delay) {
      this.redeliveryMaxDelay = notNegative(delay, "redeliveryMaxDelay");
      return this;
    }

    /** Only failures of these types are retried (default: all). Replaces the earlier list. */
    @SafeVarargs
    public final Builder retryOn(Class<? extends Throwable>... types) {
      retryOn.clear();
      retryOn.addAll(types(types, "retryOn"));
      if (retryOn.isEmpty()) {
        throw new IllegalArgumentException("retryOn must name at least one type; use RetryPolicy.none() for no retries");
      }
      return this;
    }

    /** Failures of these types are dead-lettered at once. Adds to the earlier list. */
    @SafeVarargs
    public final Builder noRetryOn(Class<? extends Throwable>... types) {
      noRetryOn.addAll(types(types, "noRetryOn"));
      return this;
    }

    public RetryPolicy build() {
      if (maxInterval.compareTo(initialInterval) < 0) {
        throw new IllegalArgumentException("maxInterval (" + maxInterval
            + ") must not be less than initialInterval (" + initialInterval + ")");
      }
      if (redeliveryMaxDelay.compareTo(redeliveryInitialDelay) < 0) {
        throw new IllegalArgumentException("redeliveryMaxDelay (" + redeliveryMaxDelay
            + ") must not be less than redeliveryInitialDelay (" + redeliveryInitialDelay + ")");
      }
      return new RetryPolicy(this);
    }

    private static List<Class<? extends Throwable>> types(Class<? extends Throwable>[] types, String name) {
      Objects.requireNonNull(types, name);
      for (Class<? extends Throwable> t : types) {
        Objects.requireNonNull(t, name + " element");
      }
      return List.of(types);
    }

    private static int atLeastOne(int value, String name) {
      if (value < 1) {
        throw new IllegalArgumentException(name + " must be at least 1, was " + value);
      }
      return value;
    }

    private static double atLeastOne(double value, String name) {
      if (!(value >= 1.0) || Double.isInfinite(value)) {
        throw new IllegalArgumentException(name + " must be a finite number ≥ 1, was " + value);
      }
      return value;
    }

    /** Durations longer than 36,500 days count as 36,500 days. */
    private static Duration notNegative(Duration d, String name) {
      Objects.requireNonNull(d, name);
      if (d.isNegative()) {
        throw new IllegalArgumentException(name + " must not be negative, was " + d);
      }
      return Durations.capped(d);
    }
  }
}
