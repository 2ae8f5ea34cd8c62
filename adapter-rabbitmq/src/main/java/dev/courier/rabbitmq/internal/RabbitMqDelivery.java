package dev.courier.rabbitmq.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import dev.courier.Message;
import dev.courier.spi.Undecodable;
import dev.courier.spi.support.SettleOnceDelivery;
import java.time.Duration;
import java.util.Optional;

/**
 * One delivery on one of a {@link RabbitMqReceiver}'s channels; settled once, and not at all once
 * the receiver closed (closing the channel has returned it already) or its channel was replaced.
 */
final class RabbitMqDelivery extends SettleOnceDelivery {
  private final RabbitMqReceiver receiver;
  private final String queue;
  final Channel channel;
  final long epoch;
  final long tag;
  final AMQP.BasicProperties props;
  final byte[] body;
  private final Message message;
  private final int deliveryCount;
  private final Undecodable undecodable;

  RabbitMqDelivery(RabbitMqReceiver receiver, String queue, Channel channel, long epoch, long tag,
      AMQP.BasicProperties props, byte[] body, Message message, int deliveryCount, Undecodable undecodable) {
    super(receiver::isClosed);
    this.receiver = receiver;
    this.queue = queue;
    this.channel = channel;
    this.epoch = epoch;
    this.tag = tag;
    this.props = props;
    this.body = body;
    this.message = message;
    this.deliveryCount = deliveryCount;
    this.undecodable = undecodable;
  }

  @Override
  public Message message() {
    return message;
  }

  @Override
  public Optional<Undecodable> undecodable() {
    return Optional.ofNullable(undecodable);
  }

  @Override
  public int deliveryCount() {
    return deliveryCount;
  }

  @Override
  public boolean isWithdrawn() {
    return receiver.isWithdrawn(epoch);
  }

  @Override
  protected void doAck() {
    receiver.ack(this);
  }

  @Override
  protected void doNack(Duration delay) {
    if (delay.toMillis() < 1) {
      receiver.requeue(this);
    } else {
      receiver.republishThenAck(this, deliveryCount, delay, "delay the redelivery of");
    }
  }

  /**
   * Hands the message back uncounted: a copy goes back to the queue carrying the delivery count
   * before this one, then the original is acked (a requeue would count on quorum queues).
   */
  @Override
  protected void doRelease() {
    if (receiver.releaseOnClose()) {
      return; // closing returns it to the head of the queue, keeping the group's order
    }
    receiver.republishThenAck(this, deliveryCount - 1, Duration.ZERO, "release");
  }

  @Override
  protected void doDefer(Duration delay) {
    receiver.republishThenAck(this, deliveryCount - 1, delay, "defer");
  }

  @Override
  public String toString() {
    return "Delivery{" + queue + ", " + message.id() + ", #" + deliveryCount + '}';
  }
}
