package dev.courier;

import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
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

  private Capabilities(Builder b) {
    this.features = Collections.unmodifiableSet(EnumSet.copyOf(b.features));
    this.maxPayloadBytes = b.maxPayloadBytes;
    this.maxHeaders = b.maxHeaders;
    this.maxHeaderBytes = b.maxHeaderBytes;
    this.maxDelay = b.maxDelay;
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

  @Override
  public String toString() {
    return "Capabilities{features=" + features + ", maxPayloadBytes=" + maxPayloadBytes
        + ", maxHeaders=" + maxHeaders + ", maxHeaderBytes=" + maxHeaderBytes
        + ", maxDelay=" + maxDelay + '}';
  }

  public static final class Builder {
    private final EnumSet<Capability> features = EnumSet.noneOf(Capability.class);
    private int maxPayloadBytes = 1024 * 1024;
    private int maxHeaders = 64;
    private int maxHeaderBytes = 16 * 1024;
    private Duration maxDelay = Duration.ofDays(1);

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
