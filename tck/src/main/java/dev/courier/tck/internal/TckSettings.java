package dev.courier.tck.internal;

import java.time.Duration;

/**
 * Settings of a TCK run, from JUnit configuration parameters (or system properties of the same
 * name): {@value #PATIENCE} (seconds, decimals allowed; default 20) is how long a rule waits for something that
 * should happen before it fails.
 */
public record TckSettings(Duration patience) {
  public static final String PATIENCE = "courier.tck.patience-seconds";
}
