package dev.courier.kafka.internal;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/** A record of the delayed-publish topic a {@link DelayedForwarder} read and has not forwarded yet. */
final class HeldRecord {
  final PartitionOffsets<HeldRecord> partition;
  final ConsumerRecord<byte[], byte[]> record;
  final long due;
  /** Failed forward attempts; touched by one thread at a time (the callback, then the retry). */
  volatile int failures;

  HeldRecord(PartitionOffsets<HeldRecord> partition, ConsumerRecord<byte[], byte[]> record, long due) {
    this.partition = partition;
    this.record = record;
    this.due = due;
  }
}
