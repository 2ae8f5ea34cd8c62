package dev.courier;

import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What an adapter offers: its optional features and its limits. Immutable; built by adapters.
 */
public final class Capabilities {
  private final Set<Capability> features;
  private final int maxPayloadBytes;
  private final int maxHeaders;
  private final int maxHeaderBytes;
  private final Duration maxDelay;
  private final Duration leaseRenewalInterval; // null: the broker lends no lease

  private Capabilities(Builder b) {
    this.features = Collections.unmodifiableSet(EnumSet.copyOf(b.features));
    this.maxPayloadBytes = b.maxPayloadBytes;
    this.maxHeaders = b.maxHeaders;
    this.maxHeaderBytes = b.maxHeaderBytes;
    this.maxDelay = b.maxDelay;
    this.leaseRenewalInterval = b.leaseRenewalInterval;
  }

  public static Builder builder() {
    return new Builder();
  }

  public boolean has(Capability capability) {
    return features.contains(Objects.requireNonNull(capability, "capability"));
  }

  public Set<Capability> features() {
    return features;
  }

  /** Largest payload, in bytes, the adapter accepts. */
  public int maxPayloadBytes() {
    return maxPayloadBytes;
  }

  /** Most headers one message may carry, Courier's own included. */
  public int maxHeaders() {
    return maxHeaders;
  }

  /** Most bytes of header names and values (UTF-8) one message may carry. */
  public int maxHeaderBytes() {
    return maxHeaderBytes;
  }

  /** Longest delay for delayed redelivery or delayed publish. */
  public Duration maxDelay() {
    return maxDelay;
  }

  /**
   * For brokers that lend a delivery for a lease (visibility timeout, ack deadline) and take it
   * back unless extended: how often Courier's core calls
   * {@link dev.courier.spi.TransportDelivery#extendLease()} on each delivery whose handler runs.
   * Declare well under the lease (a third of it leaves room for a late timer and a slow extension
   * call). Empty (the default) when the broker keeps a delivery until it is settled or its consumer
   * goes away.
   */
  public Optional<Duration> leaseRenewalInterval() {
    return Optional.ofNullable(leaseRenewalInterval);
  }

  @Override
  public String toString() {
    return "Capabilities{features=" + features + ", maxPayloadBytes=" + maxPayloadBytes
        + ", maxHeaders=" + maxHeaders + ", maxHeaderBytes=" + maxHeaderBytes
        + ", maxDelay=" + maxDelay
        + (leaseRenewalInterval == null ? "" : ", leaseRenewalInterval=" + leaseRenewalInterval) + '}';
  }

  public static final class Builder {
    private final EnumSet<Capability> features = EnumSet.noneOf(Capability.class);
    private int maxPayloadBytes = 1024 * 1024;
    private int maxHeaders = 64;
    private int maxHeaderBytes = 16 * 1024;
    private Duration maxDelay = Duration.ofDays(1);
    private Duration leaseRenewalInterval;

    private Builder() {}

    public Builder with(Capability... capabilities) {
      Objects.requireNonNull(capabilities, "capabilities");
      for (Capability c : capabilities) {
        features.add(Objects.requireNonNull(c, "capability"));
      }
      return this;
    }

    public Builder maxPayloadBytes(int bytes) {
      this.maxPayloadBytes = positive(bytes, "maxPayloadBytes");
      return this;
    }

    public Builder maxHeaders(int count) {
      this.maxHeaders = positive(count, "maxHeaders");
      return this;
    }

    public Builder maxHeaderBytes(int bytes) {
      this.maxHeaderBytes = positive(bytes, "maxHeaderBytes");
      return this;
    }

    public Builder maxDelay(Duration delay) {
      Objects.requireNonNull(delay, "maxDelay");
      if (delay.isNegative() || delay.isZero()) {
        throw new IllegalArgumentException("maxDelay must be positive, was " + delay);
      }
      this.maxDelay = delay;
      return this;
    }

    /** See {@link Capabilities#leaseRenewalInterval()}; positive. */
    public Builder leaseRenewalInterval(Duration interval) {
      Objects.requireNonNull(interval, "leaseRenewalInterval");
      if (interval.isNegative() || interval.isZero()) {
        throw new IllegalArgumentException("leaseRenewalInterval must be positive, was " + interval);
      }
      this.leaseRenewalInterval = interval;
      return this;
    }

    public Capabilities build() {
      return new Capabilities(this);
    }

    private static int positive(int value, String name) {
      if (value <= 0) {
        throw new IllegalArgumentException(name + " must be positive, was " + value);
      }
      return value;
    }
  }
}
