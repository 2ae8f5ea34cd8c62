package dev.courier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Validation of the immutable option objects' builders (retry behaviour itself is tested elsewhere). */
@DisplayName("Option builders")
class PolicyBuildersTest {
  /** Asserts that {@code action} throws {@code type} with a message that names {@code parameter}. */
  private static <T extends Throwable> void rejects(Class<T> type, String parameter, Executable action) {
    T e = assertThrows(type, action, "expected " + type.getSimpleName() + " for " + parameter);
    assertTrue(e.getMessage() != null && e.getMessage().contains(parameter),
        "the message should name '" + parameter + "': " + e.getMessage());
  }

  @Nested
  @DisplayName("RetryPolicy.Builder")
  class Retry {
    @Test
    @DisplayName("rejects non-positive attempt and delivery counts, naming the parameter")
    void counts() {
      rejects(IllegalArgumentException.class, "maxInProcessAttempts", () -> RetryPolicy.builder().maxInProcessAttempts(0));
      rejects(IllegalArgumentException.class, "maxDeliveries", () -> RetryPolicy.builder().maxDeliveries(-1));
    }

    @Test
    @DisplayName("rejects null and negative durations, naming the parameter")
    void durations() {
      rejects(NullPointerException.class, "initialInterval", () -> RetryPolicy.builder().initialInterval(null));
      rejects(IllegalArgumentException.class, "initialInterval", () -> RetryPolicy.builder().initialInterval(Duration.ofMillis(-1)));
      rejects(IllegalArgumentException.class, "maxInterval", () -> RetryPolicy.builder().maxInterval(Duration.ofSeconds(-1)));
      rejects(IllegalArgumentException.class, "redeliveryInitialDelay", () -> RetryPolicy.builder().redeliveryInitialDelay(Duration.ofSeconds(-1)));
      rejects(NullPointerException.class, "redeliveryMaxDelay", () -> RetryPolicy.builder().redeliveryMaxDelay(null));
    }

    @Test
    @DisplayName("rejects multipliers below 1, NaN and infinity, naming the parameter")
    void multipliers() {
      for (double bad : new double[] {0.5, Double.NaN, Double.POSITIVE_INFINITY}) {
        rejects(IllegalArgumentException.class, "multiplier", () -> RetryPolicy.builder().multiplier(bad));
        rejects(IllegalArgumentException.class, "redeliveryMultiplier", () -> RetryPolicy.builder().redeliveryMultiplier(bad));
      }
    }

    @Test
    @DisplayName("accepts a randomization factor in [0, 1) only")
    void randomization() {
      assertEquals(0.0, RetryPolicy.builder().randomizationFactor(0).build().randomizationFactor());
      for (double bad : new double[] {-0.1, 1.0, Double.NaN}) {
        rejects(IllegalArgumentException.class, "randomizationFactor", () -> RetryPolicy.builder().randomizationFactor(bad));
      }
    }

    @Test
    @DisplayName("rejects a max interval or delay below the initial one, naming both")
    void ordering() {
      rejects(IllegalArgumentException.class, "initialInterval", () -> RetryPolicy.builder()
          .initialInterval(Duration.ofSeconds(5)).maxInterval(Duration.ofSeconds(1)).build());
      rejects(IllegalArgumentException.class, "redeliveryMaxDelay", () -> RetryPolicy.builder()
          .redeliveryInitialDelay(Duration.ofMinutes(10)).redeliveryMaxDelay(Duration.ofMinutes(1)).build());
    }

    @Test
    @DisplayName("rejects an empty retryOn list and null exception types")
    void exceptionTypes() {
      rejects(IllegalArgumentException.class, "retryOn", () -> RetryPolicy.builder().retryOn());
      rejects(NullPointerException.class, "retryOn", () -> RetryPolicy.builder().retryOn(IOException.class, null));
      rejects(NullPointerException.class, "noRetryOn", () -> RetryPolicy.builder().noRetryOn((Class<? extends Throwable>[]) null));
    }

    @Test
    @DisplayName("built policies are immutable: toBuilder changes give a new policy and the lists cannot be modified")
    void immutable() {
      RetryPolicy p = RetryPolicy.builder().retryOn(IOException.class).build();
      RetryPolicy q = p.toBuilder().maxDeliveries(9).noRetryOn(IllegalStateException.class).build();
      assertEquals(5, p.maxDeliveries());
      assertEquals(List.of(), p.noRetryOn());
      assertEquals(9, q.maxDeliveries());
      assertEquals(List.of(IOException.class), q.retryOn());
      assertThrows(UnsupportedOperationException.class, () -> p.retryOn().add(RuntimeException.class));
    }

    @Test
    @DisplayName("none() allows a single attempt and a single delivery")
    void none() {
      assertEquals(1, RetryPolicy.none().maxInProcessAttempts());
      assertEquals(1, RetryPolicy.none().maxDeliveries());
    }
  }

  @Nested
  @DisplayName("SubscriptionOptions.Builder")
  class Options {
    @Test
    @DisplayName("rejects null and blank topic and group, naming them")
    void names() {
      rejects(NullPointerException.class, "topic", () -> SubscriptionOptions.builder(null, "g"));
      rejects(IllegalArgumentException.class, "topic", () -> SubscriptionOptions.builder(" ", "g"));
      rejects(NullPointerException.class, "group", () -> SubscriptionOptions.builder("t", null));
      rejects(IllegalArgumentException.class, "group", () -> SubscriptionOptions.builder("t", ""));
    }

    @Test
    @DisplayName("rejects out-of-range concurrency and maxInFlight, naming them")
    void ranges() {
      SubscriptionOptions.Builder b = SubscriptionOptions.builder("t", "g");
      rejects(IllegalArgumentException.class, "concurrency", () -> b.concurrency(0));
      rejects(IllegalArgumentException.class, "concurrency", () -> b.concurrency(1025));
      rejects(IllegalArgumentException.class, "maxInFlight", () -> b.maxInFlight(0));
      rejects(IllegalArgumentException.class, "maxInFlight",
          () -> SubscriptionOptions.builder("t", "g").concurrency(8).maxInFlight(4).build());
    }

    @Test
    @DisplayName("rejects null policies and non-positive handler timeout, negative drain timeout")
    void policiesAndTimeouts() {
      SubscriptionOptions.Builder b = SubscriptionOptions.builder("t", "g");
      rejects(NullPointerException.class, "retry", () -> b.retry(null));
      rejects(NullPointerException.class, "deadLetter", () -> b.deadLetter(null));
      rejects(NullPointerException.class, "idempotency", () -> b.idempotency(null));
      rejects(IllegalArgumentException.class, "handlerTimeout", () -> b.handlerTimeout(Duration.ZERO));
      rejects(NullPointerException.class, "handlerTimeout", () -> b.handlerTimeout(null));
      rejects(IllegalArgumentException.class, "drainTimeout", () -> b.drainTimeout(Duration.ofSeconds(-1)));
      assertEquals(Duration.ZERO, b.drainTimeout(Duration.ZERO).build().drainTimeout());
    }

    @Test
    @DisplayName("derives maxInFlight from concurrency when it is not set")
    void derivedMaxInFlight() {
      assertEquals(64, SubscriptionOptions.of("t", "g").maxInFlight());
      assertEquals(400, SubscriptionOptions.builder("t", "g").concurrency(100).build().maxInFlight());
    }

    @Test
    @DisplayName("toBuilder keeps maxInFlight derived unless it was set, so raising concurrency still works")
    void toBuilderKeepsDerivation() {
      SubscriptionOptions derived = SubscriptionOptions.of("t", "g").toBuilder().concurrency(100).build();
      assertEquals(400, derived.maxInFlight());
      SubscriptionOptions explicit = SubscriptionOptions.builder("t", "g").maxInFlight(10).build();
      assertEquals(10, explicit.toBuilder().concurrency(2).build().maxInFlight());
    }

    @Test
    @DisplayName("toBuilder copies every setting")
    void toBuilderCopies() {
      SubscriptionOptions o = SubscriptionOptions.builder("t", "g").concurrency(3).maxInFlight(7).orderedByKey(true)
          .retry(RetryPolicy.none()).deadLetter(DeadLetterPolicy.toTopic("t.dead"))
          .handlerTimeout(Duration.ofSeconds(3)).drainTimeout(Duration.ofSeconds(4)).build();
      SubscriptionOptions c = o.toBuilder().build();
      assertEquals(o.toString(), c.toString());
    }
  }

  @Nested
  @DisplayName("Capabilities.Builder")
  class Caps {
    @Test
    @DisplayName("rejects non-positive limits, naming them")
    void limits() {
      rejects(IllegalArgumentException.class, "maxPayloadBytes", () -> Capabilities.builder().maxPayloadBytes(0));
      rejects(IllegalArgumentException.class, "maxHeaders", () -> Capabilities.builder().maxHeaders(-1));
      rejects(IllegalArgumentException.class, "maxHeaderBytes", () -> Capabilities.builder().maxHeaderBytes(0));
      rejects(IllegalArgumentException.class, "maxHeaderValueBytes", () -> Capabilities.builder().maxHeaderValueBytes(0));
      rejects(IllegalArgumentException.class, "maxMessageBytes", () -> Capabilities.builder().maxMessageBytes(-5));
      rejects(IllegalArgumentException.class, "maxPublishDelay", () -> Capabilities.builder().maxPublishDelay(Duration.ZERO));
      rejects(NullPointerException.class, "maxPublishDelay", () -> Capabilities.builder().maxPublishDelay(null));
      rejects(IllegalArgumentException.class, "maxRedeliveryDelay",
          () -> Capabilities.builder().maxRedeliveryDelay(Duration.ofSeconds(-1)));
    }

    @Test
    @DisplayName("rejects null capabilities, naming the parameter")
    void nullCapabilities() {
      rejects(NullPointerException.class, "capabilit", () -> Capabilities.builder().with(Capability.FAN_OUT, null));
      rejects(NullPointerException.class, "capabilit", () -> Capabilities.builder().with((Capability[]) null));
      rejects(NullPointerException.class, "capability", () -> Capabilities.builder().build().has(null));
    }

    @Test
    @DisplayName("built capabilities do not change when the builder is reused and cannot be modified")
    void immutable() {
      Capabilities.Builder b = Capabilities.builder().with(Capability.FAN_OUT);
      Capabilities c = b.build();
      b.with(Capability.PEEK);
      assertEquals(Set.of(Capability.FAN_OUT), c.features());
      assertTrue(c.has(Capability.FAN_OUT));
      assertFalse(c.has(Capability.PEEK));
      assertThrows(UnsupportedOperationException.class, () -> c.features().add(Capability.PERSISTENT));
      assertTrue(Capabilities.builder().build().features().isEmpty());
    }
  }
}
