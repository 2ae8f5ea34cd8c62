package dev.courier;

import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What an adapter offers: its optional features and its limits. Immutable; built by adapters.
 *
 * <p>Two sets of size limits. The adapter declares its broker's limits for one message on the wire
 * ({@link #brokerLimits()}): what the broker accepts, whoever sends it. Courier adds headers of its
 * own to the messages it sends itself: a dead letter carries up to {@link CourierHeaders#RESERVED_COUNT}
 * headers and {@link CourierHeaders#RESERVED_BYTES} bytes more than the message it copies (the
 * {@code courier-dlq-*} headers and a redriven message's {@code courier-redrive-count}). So what
 * applications may publish ({@link #limits()}, the flat accessors) is the broker's limits minus that
 * reservation, and every message Courier sends itself (dead letter, redrive) fits the broker's limits
 * whenever the original fitted the applications' ones. Courier checks its own sends against the
 * broker's limits before sending them.
 */
public final class Capabilities {
  /** The smallest per-value limit an adapter may declare: Courier's own values must fit. */
  public static final int MIN_HEADER_VALUE_BYTES = 64;

  private final Set<Capability> features;
  private final MessageLimits broker;
  private final MessageLimits limits;
  private final Duration maxPublishDelay;
  private final Duration maxRedeliveryDelay;
  private final Duration leaseRenewalInterval; // null: the broker lends no lease

  private Capabilities(Builder b) {
    this.features = Collections.unmodifiableSet(EnumSet.copyOf(b.features));
    int headerBytes = b.maxHeaderBytes;
    int valueBytes = b.maxHeaderValueBytes == 0 ? headerBytes : b.maxHeaderValueBytes;
    int messageBytes = b.maxMessageBytes == 0 ? (int) Math.min(Integer.MAX_VALUE, (long) b.maxPayloadBytes + headerBytes)
        : b.maxMessageBytes;
    require(b.maxHeaders > CourierHeaders.RESERVED_COUNT, "maxHeaders", b.maxHeaders,
        "more than the " + CourierHeaders.RESERVED_COUNT + " headers Courier reserves");
    require(headerBytes > CourierHeaders.RESERVED_BYTES, "maxHeaderBytes", headerBytes,
        "more than the " + CourierHeaders.RESERVED_BYTES + " bytes Courier reserves");
    require(messageBytes > CourierHeaders.RESERVED_BYTES, "maxMessageBytes", messageBytes,
        "more than the " + CourierHeaders.RESERVED_BYTES + " bytes Courier reserves");
    require(valueBytes >= MIN_HEADER_VALUE_BYTES, "maxHeaderValueBytes", valueBytes,
        "at least " + MIN_HEADER_VALUE_BYTES);
    this.broker = new MessageLimits(b.maxPayloadBytes, b.maxHeaders, headerBytes, valueBytes, messageBytes);
    int userHeaderBytes = headerBytes - CourierHeaders.RESERVED_BYTES;
    int userMessageBytes = messageBytes - CourierHeaders.RESERVED_BYTES;
    this.limits = new MessageLimits(Math.min(b.maxPayloadBytes, userMessageBytes),
        b.maxHeaders - CourierHeaders.RESERVED_COUNT, userHeaderBytes, Math.min(valueBytes, userHeaderBytes),
        userMessageBytes);
    this.maxPublishDelay = b.maxPublishDelay;
    this.maxRedeliveryDelay = b.maxRedeliveryDelay;
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

  /** What an application's message may carry: the broker's limits minus Courier's reservation. */
  public MessageLimits limits() {
    return limits;
  }

  /** What the broker carries for one message, Courier's own headers included, as the adapter declared. */
  public MessageLimits brokerLimits() {
    return broker;
  }

  /** Largest payload, in bytes, an application may publish. */
  public int maxPayloadBytes() {
    return limits.maxPayloadBytes();
  }

  /** Most headers an application's message may carry. */
  public int maxHeaders() {
    return limits.maxHeaders();
  }

  /** Most bytes of header names and values (UTF-8) an application's message may carry. */
  public int maxHeaderBytes() {
    return limits.maxHeaderBytes();
  }

  /** Most bytes (UTF-8) of one header value. */
  public int maxHeaderValueBytes() {
    return limits.maxHeaderValueBytes();
  }

  /** Most bytes of payload plus header names and values (UTF-8) an application's message may carry. */
  public int maxMessageBytes() {
    return limits.maxMessageBytes();
  }

  /** Longest delay of {@link Publisher#publishDelayed}. */
  public Duration maxPublishDelay() {
    return maxPublishDelay;
  }

  /**
   * Longest delay of a broker redelivery (nack with delay); a {@link RetryPolicy#redeliveryMaxDelay()}
   * above it is refused at subscribe.
   */
  public Duration maxRedeliveryDelay() {
    return maxRedeliveryDelay;
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
    return "Capabilities{features=" + features + ", limits=" + limits + ", brokerLimits=" + broker
        + ", maxPublishDelay=" + maxPublishDelay + ", maxRedeliveryDelay=" + maxRedeliveryDelay
        + (leaseRenewalInterval == null ? "" : ", leaseRenewalInterval=" + leaseRenewalInterval) + '}';
  }

  private static void require(boolean ok, String name, int value, String what) {
    if (!ok) {
      throw new IllegalArgumentException(name + " must be " + what + ", was " + value);
    }
  }

  /** Declares the broker's limits for one message on the wire; see {@link Capabilities}. */
  public static final class Builder {
    private final EnumSet<Capability> features = EnumSet.noneOf(Capability.class);
    private int maxPayloadBytes = 1024 * 1024;
    private int maxHeaders = 64;
    private int maxHeaderBytes = 16 * 1024;
    private int maxHeaderValueBytes; // 0: no limit beyond maxHeaderBytes
    private int maxMessageBytes; // 0: maxPayloadBytes + maxHeaderBytes
    private Duration maxPublishDelay = Duration.ofDays(1);
    private Duration maxRedeliveryDelay = Duration.ofDays(1);
    private Duration leaseRenewalInterval;

    private Builder() {}

    public Builder with(Capability... capabilities) {
      Objects.requireNonNull(capabilities, "capabilities");
      for (Capability c : capabilities) {
        features.add(Objects.requireNonNull(c, "capability"));
      }
      return this;
    }

    /** Takes every limit (the broker's, and the delays) of {@code other}, to declare a variant of it. */
    public Builder limitsOf(Capabilities other) {
      MessageLimits b = other.broker;
      this.maxPayloadBytes = b.maxPayloadBytes();
      this.maxHeaders = b.maxHeaders();
      this.maxHeaderBytes = b.maxHeaderBytes();
      this.maxHeaderValueBytes = b.maxHeaderValueBytes();
      this.maxMessageBytes = b.maxMessageBytes();
      this.maxPublishDelay = other.maxPublishDelay;
      this.maxRedeliveryDelay = other.maxRedeliveryDelay;
      this.leaseRenewalInterval = other.leaseRenewalInterval;
      return this;
    }

    /** Largest payload the broker carries; 1 MiB by default. */
    public Builder maxPayloadBytes(int bytes) {
      this.maxPayloadBytes = positive(bytes, "maxPayloadBytes");
      return this;
    }

    /** Most headers the broker carries on one message; 64 by default. */
    public Builder maxHeaders(int count) {
      this.maxHeaders = positive(count, "maxHeaders");
      return this;
    }

    /** Most bytes of header names and values the broker carries on one message; 16 KiB by default. */
    public Builder maxHeaderBytes(int bytes) {
      this.maxHeaderBytes = positive(bytes, "maxHeaderBytes");
      return this;
    }

    /** Most bytes of one header value; by default no limit beyond {@link #maxHeaderBytes}. */
    public Builder maxHeaderValueBytes(int bytes) {
      this.maxHeaderValueBytes = positive(bytes, "maxHeaderValueBytes");
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

    /** Most bytes of payload plus header names and values; by default their two limits added. */
    public Builder maxMessageBytes(int bytes) {
      this.maxMessageBytes = positive(bytes, "maxMessageBytes");
      return this;
    }

    /** Longest delay of a delayed publish; 1 day by default. */
    public Builder maxPublishDelay(Duration delay) {
      this.maxPublishDelay = positive(delay, "maxPublishDelay");
      return this;
    }

    /** Longest delay of a redelivery (nack with delay); 1 day by default. */
    public Builder maxRedeliveryDelay(Duration delay) {
      this.maxRedeliveryDelay = positive(delay, "maxRedeliveryDelay");
      return this;
    }

    /**
     * Builds; fails with an {@link IllegalArgumentException} if the limits leave no room for
     * Courier's reserved headers.
     */
    public Capabilities build() {
      return new Capabilities(this);
    }

    private static int positive(int value, String name) {
      if (value <= 0) {
        throw new IllegalArgumentException(name + " must be positive, was " + value);
      }
      return value;
    }

    private static Duration positive(Duration delay, String name) {
      Objects.requireNonNull(delay, name);
      if (delay.isNegative() || delay.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, was " + delay);
      }
      return delay;
    }
  }
}
