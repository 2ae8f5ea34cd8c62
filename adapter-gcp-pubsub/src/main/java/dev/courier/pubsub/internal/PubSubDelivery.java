package dev.courier.pubsub.internal;

import com.google.pubsub.v1.ReceivedMessage;
import dev.courier.Message;
import dev.courier.spi.Undecodable;
import dev.courier.spi.support.SettleOnceDelivery;
import java.time.Duration;
import java.util.Optional;

/**
 * One received Pub/Sub message: settled once through its {@link PubSubReceiver} (ack, or a
 * {@code modifyAckDeadline} to the redelivery delay), its lease kept by the receiver until a handler
 * starts and by Courier's core ({@link #extendLease}) while the handler runs. The delivery count is
 * Pub/Sub's {@code deliveryAttempt}, which every subscription Courier creates reports, less the
 * hand-backs (release, defer) this process made of the message ({@link HandBacks}).
 */
final class PubSubDelivery extends SettleOnceDelivery {
  private final PubSubReceiver receiver;
  private final String ackId;
  private final String handBackKey;
  private final Message message;
  private final Undecodable undecodable;
  private final int deliveryCount;
  private final int bytes;
  private final long receivedNanos;
  /** Guarded by the receiver's lock: handed to the sink and counted in its in-flight. */
  boolean handedOver;

  private PubSubDelivery(PubSubReceiver receiver, ReceivedMessage rm, Message message, Undecodable undecodable) {
    super(receiver::isClosed);
    this.receiver = receiver;
    this.ackId = rm.getAckId();
    this.handBackKey = HandBacks.key(receiver.subscription(), rm.getMessage().getMessageId());
    this.message = message;
    this.undecodable = undecodable;
    this.deliveryCount = Math.max(1, rm.getDeliveryAttempt() - receiver.handBacks().uncounted(handBackKey));
    this.bytes = rm.getMessage().getSerializedSize();
    this.receivedNanos = System.nanoTime();
  }

  /** The delivery of {@code rm}, marked undecodable when it cannot be mapped to a Courier message. */
  static PubSubDelivery of(PubSubReceiver receiver, String subscription, ReceivedMessage rm) {
    try {
      return new PubSubDelivery(receiver, rm, PubSubMessages.fromPubSub(rm.getMessage()), null);
    } catch (RuntimeException e) {
      Undecodable u = new Undecodable(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage(),
          "gcp-pubsub:" + subscription + "#" + rm.getMessage().getMessageId());
      String id = rm.getMessage().getMessageId().isEmpty() ? null : "gcp-pubsub-" + rm.getMessage().getMessageId();
      return new PubSubDelivery(receiver, rm, u.message(rm.getMessage().getData().toByteArray(), id), u);
    }
  }

  String ackId() {
    return ackId;
  }

  String handBackKey() {
    return handBackKey;
  }

  int bytes() {
    return bytes;
  }

  long receivedNanos() {
    return receivedNanos;
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
  protected void doAck() {
    receiver.ack(this);
  }

  @Override
  protected void doNack(Duration delay) {
    receiver.nack(this, delay);
  }

  @Override
  protected void doRelease() {
    receiver.handBack(this, Duration.ZERO);
  }

  @Override
  protected void doDefer(Duration delay) {
    receiver.handBack(this, delay);
  }

  @Override
  public void extendLease() {
    if (isStarted()) {
      receiver.extend(this);
    }
  }
}
