package dev.courier;

/** Configuration is missing, malformed or names an adapter that is not on the class path. */
public class ConfigurationException extends CourierException {
  private static final long serialVersionUID = 1L;

  public ConfigurationException(String message) {
    super(message);
  }

  public ConfigurationException(String message, Throwable cause) {
    super(message, cause);
  }
}
