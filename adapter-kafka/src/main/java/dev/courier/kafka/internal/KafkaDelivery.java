package dev.courier.kafka.internal;

import dev.courier.Message;
import dev.courier.spi.Undecodable;
import dev.courier.spi.support.SettleOnceDelivery;
import java.time.Duration;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * One consumed record. Ack makes its offset committable; nack copies it to the delay topic first;
 * release leaves it uncommitted, to be read again uncounted. Only the first settlement counts. If
 * its partition is revoked before its handler started it is withdrawn: {@link #tryStart()} fails.
 */
final class KafkaDelivery extends SettleOnceDelivery {
  private final KafkaReceiver receiver;
  final PartitionOffsets<KafkaDelivery> partition;
  final ConsumerRecord<byte[], byte[]> record;
  final long due;
  private final int deliveryCount;
  private volatile boolean released;
  private volatile RecordMapper.Decoded decoded;
  /** For a nack: when the redelivery is due (epoch ms); kept for retries of the republish. */
  volatile long redeliverAt;
  /** For a defer: the redelivery keeps this delivery's count (it was not tried). */
  volatile boolean uncounted;
  /** A relay of a held record to the tail of the delay topic is on its way. */
  volatile boolean relay;
  /** Failed republish attempts so far. */
  volatile int republishFailures;
  /** Handed to the sink (poll thread only). */
  boolean handed;

  /** {@code fromDelayTopic}: only the delay topic's records carry a delivery count and due time Courier trusts. */
  KafkaDelivery(KafkaReceiver receiver, PartitionOffsets<KafkaDelivery> partition, ConsumerRecord<byte[], byte[]> record,
      boolean fromDelayTopic) {
    this.receiver = receiver;
    this.partition = partition;
    this.record = record;
    this.deliveryCount = fromDelayTopic ? RecordMapper.deliveryCount(record) : 1;
    this.due = fromDelayTopic ? RecordMapper.due(record) : 0;
  }

  long offset() {
    return record.offset();
  }

  /** Its offset may be committed. */
  void markDone() {
    partition.done(offset(), this);
  }

  /** Given back by {@link #release()}: the record is to be read again. */
  boolean isReleased() {
    return released;
  }

  /** Decoded on first use, on the handler's thread rather than the poll thread (a race decodes twice, harmlessly). */
  @Override
  public Message message() {
    return decoded().message();
  }

  @Override
  public Optional<Undecodable> undecodable() {
    return Optional.ofNullable(decoded().undecodable());
  }

  private RecordMapper.Decoded decoded() {
    RecordMapper.Decoded d = decoded;
    if (d == null) {
      d = RecordMapper.decode(record);
      decoded = d;
    }
    return d;
  }

  @Override
  public int deliveryCount() {
    return deliveryCount;
  }

  @Override
  protected void doAck() {
    markDone();
    receiver.settled(this, true);
  }

  @Override
  protected void doNack(Duration delay) {
    receiver.redeliver(this, delay);
  }

  @Override
  protected void doRelease() {
    released = true;
    receiver.release(this);
  }

  @Override
  protected void doDefer(Duration delay) {
    uncounted = true;
    receiver.redeliver(this, delay);
  }

  @Override
  public String toString() {
    return "KafkaDelivery{" + record.topic() + "-" + record.partition() + "@" + record.offset()
        + ", #" + deliveryCount + '}';
  }
}
