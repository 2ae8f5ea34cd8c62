package dev.courier.sqs.internal;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where topics and groups live on AWS: the queue topology ({@link QueueDirectory}: a topic is a
 * queue) or the SNS topology ({@link SnsDirectory}: a topic is an SNS topic, each group a queue
 * subscribed to it). Both cache what they created; both are thread-safe.
 */
public interface Topology {
  /** Whether every group of a topic gets every message. */
  boolean fansOut();

  /** Whether a publish can carry SQS's own {@code DelaySeconds} (SNS has no delay). */
  boolean nativePublishDelay();

  /**
   * Whether {@code topic} is FIFO ({@code courier.sqs.fifo-topics}): its queues (and SNS topic) are,
   * and its messages carry a group and a deduplication id ({@link Fifo}).
   */
  boolean isFifo(String topic);

  /** The queue name of {@code group} on {@code topic}. */
  String queueName(String topic, String group);

  /** The URL of the group's queue, creating the topic, the queue and what joins them if missing. */
  String groupQueue(String topic, String group);

  /** Creates the topic if missing. */
  void ensureTopic(String topic);

  /** The URL of an existing queue, or empty. */
  Optional<String> existing(String queueName);

  /**
   * Sends one batch (at most 10) to the topic, creating it if missing. Returns the entries the
   * service refused, by index, with the reason; throws if the whole call failed.
   */
  Map<Integer, String> publish(String topic, List<SendBatcher.Pending> batch);
}
