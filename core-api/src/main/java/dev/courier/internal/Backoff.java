package dev.courier.internal;

import dev.courier.RetryPolicy;
import io.github.resilience4j.core.IntervalFunction;
import java.time.Duration;

/**
 * The two delay schedules of a {@link RetryPolicy}. In-process: resilience4j's exponential random
 * backoff, so retry {@code n} (n ≥ 1, the wait after the n-th failed call) waits
 * {@code min(initial × multiplier^(n-1) × (1 ± randomizationFactor), max)}: jitter first, then
 * the cap, so no wait ever exceeds {@code maxInterval}. Redelivery: the same
 * exponential shape without jitter, capped by the policy and by the adapter's maximum delay.
 */
public final class Backoff {
  private final IntervalFunction inProcess;
  private final RetryPolicy policy;

  public Backoff(RetryPolicy policy) {
    this.policy = policy;
    long initial = policy.initialInterval().toMillis();
    long max = policy.maxInterval().toMillis();
    if (initial < 1) {
      // resilience4j rejects intervals under 1 ms; a zero initial interval means "retry at once".
      this.inProcess = attempt -> 0L;
    } else if (policy.randomizationFactor() == 0.0) {
      this.inProcess = IntervalFunction.ofExponentialBackoff(initial, policy.multiplier(), Math.max(max, initial));
    } else {
      this.inProcess = IntervalFunction.ofExponentialRandomBackoff(initial, policy.multiplier(),
          policy.randomizationFactor(), Math.max(max, initial));
    }
  }

  /** The wait before in-process attempt {@code failedCalls + 1}; {@code failedCalls} ≥ 1. */
  public Duration inProcess(int failedCalls) {
    return Duration.ofMillis(inProcess.apply(failedCalls));
  }

  /**
   * The delay before the broker redelivers a message whose {@code deliveryCount}-th delivery just
   * failed: {@code redeliveryInitialDelay × redeliveryMultiplier^(deliveryCount-1)}, capped.
   */
  public Duration redelivery(int deliveryCount, Duration adapterMax) {
    double factor = Math.pow(policy.redeliveryMultiplier(), Math.max(0, deliveryCount - 1));
    double millis = policy.redeliveryInitialDelay().toMillis() * factor;
    long cap = Math.min(policy.redeliveryMaxDelay().toMillis(), adapterMax.toMillis());
    long result = Double.isFinite(millis) ? (long) Math.min(millis, (double) cap) : cap;
    return Duration.ofMillis(Math.max(0, result));
  }
}
