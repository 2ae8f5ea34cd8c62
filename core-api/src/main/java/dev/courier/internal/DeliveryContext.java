package dev.courier.internal;

import dev.courier.Delivery;
import dev.courier.Message;

/** The {@link Delivery} handed to handlers. */
public record DeliveryContext(Message message, String topic, String group, int attempt) implements Delivery {
  public DeliveryContext withAttempt(int newAttempt) {
    return new DeliveryContext(message, topic, group, newAttempt);
  }

  @Override
  public String toString() {
    return "Delivery{topic=" + topic + ", group=" + group + ", attempt=" + attempt + ", " + message + '}';
  }
}
