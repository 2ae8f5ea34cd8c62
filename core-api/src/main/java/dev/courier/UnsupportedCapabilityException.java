package dev.courier;

/**
 * An operation needs a {@link Capability} the adapter does not declare. Thrown before any I/O, so
 * callers can check {@link Capabilities#has(Capability)} instead of catching it.
 */
public class UnsupportedCapabilityException extends CourierException {
  private static final long serialVersionUID = 1L;
  private final Capability capability;

  public UnsupportedCapabilityException(String adapter, Capability capability, String operation) {
    super("adapter '" + adapter + "' does not support " + capability + ", which " + operation
        + " needs; check courier.capabilities().has(Capability." + capability + ") first");
    this.capability = capability;
  }

  public Capability capability() {
    return capability;
  }
}
