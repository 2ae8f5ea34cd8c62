package dev.courier.config;

import java.util.Objects;
import java.util.Optional;

/**
 * One configuration key an adapter reads, relative to {@code courier.<adapter>.}: its default (or
 * none, for a required key), a description for the README's table, and whether it is secret
 * (masked wherever configuration is printed). Immutable.
 */
public final class ConfigKey {
  private final String name;
  private final String defaultValue;
  private final String description;
  private final boolean secret;
  private final boolean required;

  private ConfigKey(String name, String defaultValue, String description, boolean secret, boolean required) {
    this.name = checkName(name);
    this.defaultValue = defaultValue;
    this.description = Objects.requireNonNull(description, "description");
    this.secret = secret;
    this.required = required;
  }

  /** An optional key with a default ({@code null} for none). */
  public static ConfigKey optional(String name, String defaultValue, String description) {
    return new ConfigKey(name, defaultValue, description, false, false);
  }

  /** A key that must be set. */
  public static ConfigKey required(String name, String description) {
    return new ConfigKey(name, null, description, false, true);
  }

  /** An optional secret (password, token): masked in every toString() and log line. */
  public static ConfigKey secret(String name, String description) {
    return new ConfigKey(name, null, description, true, false);
  }

  public String name() {
    return name;
  }

  public Optional<String> defaultValue() {
    return Optional.ofNullable(defaultValue);
  }

  public String description() {
    return description;
  }

  public boolean isSecret() {
    return secret;
  }

  public boolean isRequired() {
    return required;
  }

  /** The environment variable for this key of {@code adapter}, e.g. COURIER_RABBITMQ_PASSWORD. */
  public String environmentName(String adapter) {
    return CourierConfig.environmentName("courier." + adapter + "." + name);
  }

  @Override
  public String toString() {
    return name + (secret ? " (secret)" : defaultValue != null ? "=" + defaultValue : required ? " (required)" : "");
  }

  private static String checkName(String name) {
    Objects.requireNonNull(name, "name");
    if (!name.matches("[a-z0-9]+([.-][a-z0-9]+)*")) {
      throw new IllegalArgumentException("config key name '" + name
          + "' must be lower-case words of letters and digits joined by '.' or '-'");
    }
    return name;
  }
}
