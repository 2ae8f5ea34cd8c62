package dev.courier;

/**
 * The SLF4J MDC keys Courier sets on the handler's thread for the length of every handler call
 * (delivery interceptors included) and removes after it, so every log line of the handler names
 * its message. Switch off with {@link Courier.Builder#handlerMdc(boolean)}.
 */
public final class CourierMdc {
  /** {@link Message#id()}. */
  public static final String MESSAGE_ID = "courier.message.id";
  /** The subscription's topic. */
  public static final String TOPIC = "courier.topic";
  /** The subscription's group. */
  public static final String GROUP = "courier.group";
  /** {@link Delivery#attempt()}, in decimal. */
  public static final String ATTEMPT = "courier.attempt";

  private CourierMdc() {}
}
