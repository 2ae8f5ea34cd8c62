package dev.courier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

@DisplayName("RetryPolicy and DeadLetterPolicy validation")
class RetryPolicyValidationTest {
  private static void rejects(String parameter, Executable build) {
    RuntimeException e = assertThrows(RuntimeException.class, build);
    assertTrue(e instanceof IllegalArgumentException || e instanceof NullPointerException, e.toString());
    assertTrue(String.valueOf(e.getMessage()).contains(parameter),
        "the message should name '" + parameter + "': " + e.getMessage());
  }

  @Test
  @DisplayName("rejects zero attempts, negative delays, bad factors and max below initial, naming the parameter")
  void rejectsBadValues() {
    rejects("maxInProcessAttempts", () -> RetryPolicy.builder().maxInProcessAttempts(0));
    rejects("maxDeliveries", () -> RetryPolicy.builder().maxDeliveries(0));
    rejects("initialInterval", () -> RetryPolicy.builder().initialInterval(Duration.ofMillis(-1)));
    rejects("maxInterval", () -> RetryPolicy.builder().maxInterval(Duration.ofMillis(-1)));
    rejects("redeliveryInitialDelay", () -> RetryPolicy.builder().redeliveryInitialDelay(Duration.ofSeconds(-1)));
    rejects("redeliveryMaxDelay", () -> RetryPolicy.builder().redeliveryMaxDelay(null));
    rejects("multiplier", () -> RetryPolicy.builder().multiplier(0.5));
    rejects("redeliveryMultiplier", () -> RetryPolicy.builder().redeliveryMultiplier(Double.NaN));
    rejects("randomizationFactor", () -> RetryPolicy.builder().randomizationFactor(1.0));
    rejects("randomizationFactor", () -> RetryPolicy.builder().randomizationFactor(-0.1));
    rejects("maxInterval", () -> RetryPolicy.builder().initialInterval(Duration.ofSeconds(3))
        .maxInterval(Duration.ofSeconds(2)).build());
    rejects("redeliveryMaxDelay", () -> RetryPolicy.builder().redeliveryInitialDelay(Duration.ofMinutes(6)).build());
    rejects("retryOn", () -> RetryPolicy.builder().retryOn());
    rejects("maxErrorMessageLength", () -> DeadLetterPolicy.defaults().withMaxErrorMessageLength(-1));
    rejects("topic", () -> DeadLetterPolicy.toTopic(null));
  }

  @Test
  @DisplayName("classifies failures: decode errors and noRetryOn types are not retryable, retryOn narrows")
  void classifies() {
    RetryPolicy policy = RetryPolicy.builder().noRetryOn(IllegalArgumentException.class).build();
    assertTrue(policy.isRetryable(new IllegalStateException()));
    assertTrue(policy.isRetryable(new AssertionError()));
    assertFalse(policy.isRetryable(new NumberFormatException()));
    assertFalse(policy.isRetryable(new PayloadDecodeException("bad", null)));
    RetryPolicy narrow = RetryPolicy.builder().retryOn(UncheckedIOException.class).build();
    assertTrue(narrow.isRetryable(new UncheckedIOException(new IOException())));
    assertFalse(narrow.isRetryable(new IllegalStateException()));
    assertEquals(1, RetryPolicy.none().maxDeliveries());
  }
}
