package dev.courier.sqs.internal;

import dev.courier.PublishException;
import dev.courier.spi.NamingRules;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sns.model.BatchResultErrorEntry;
import software.amazon.awssdk.services.sns.model.MessageAttributeValue;
import software.amazon.awssdk.services.sns.model.PublishBatchRequestEntry;
import software.amazon.awssdk.services.sns.model.Subscription;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;

/**
 * The SNS topology: a topic is the SNS topic {@code <prefix><topic>}; each group is an SQS queue
 * ({@code <prefix><topic>-<group>, cut>_<16 hex digits of SHA-256 over topic and group>}) subscribed
 * to it with raw message delivery, so the body and the message attributes arrive as they were
 * published. {@link #groupQueue} creates the topic, the queue, the queue policy that lets the topic
 * deliver to it (replacing the queue's policy, documented in the README), and the subscription,
 * each only if missing. A FIFO topic is a FIFO SNS topic ({@code <prefix><topic>.fifo}) and its groups
 * FIFO queues (names ending in {@code .fifo}); SNS passes each message's group and deduplication id
 * on to them. SNS has no publish delay: a delayed
 * publish carries its due time and each group's queue hides it until then. SNS drops a publish to a
 * topic no queue subscribes to; for a dead-letter topic that would lose the dead letter, so such a
 * send fails with {@link PublishException} instead.
 */
public final class SnsDirectory implements Topology {
  private final SnsClient sns;
  private final SqsClient sqs;
  private final String prefix;
  private final Fifo fifo;
  private final String visibilitySeconds;
  private final Map<String, String> topicArns = new ConcurrentHashMap<>();
  private final Map<String, String> groupUrls = new ConcurrentHashMap<>();

  public SnsDirectory(SnsClient sns, SqsClient sqs, String prefix, Fifo fifo, Duration visibilityTimeout) {
    this.sns = sns;
    this.sqs = sqs;
    this.prefix = prefix;
    this.fifo = fifo;
    this.visibilitySeconds = Long.toString(visibilityTimeout.toSeconds());
  }

  @Override
  public boolean fansOut() {
    return true;
  }

  @Override
  public boolean nativePublishDelay() {
    return false;
  }

  @Override
  public boolean isFifo(String topic) {
    return fifo.isFifo(topic);
  }

  @Override
  public String queueName(String topic, String group) {
    return QueueDirectory.hashedQueueName(prefix + topic + "-" + group, topic, group, suffix(topic));
  }

  private String suffix(String topic) {
    return fifo.isFifo(topic) ? Fifo.SUFFIX : "";
  }

  @Override
  public void ensureTopic(String topic) {
    topicArn(topic);
  }

  private String topicArn(String topic) {
    return topicArns.computeIfAbsent(topic, t -> sns.createTopic(r -> r.name(prefix + t + suffix(t))
        .attributes(fifo.isFifo(t) ? Map.of("FifoTopic", "true", "ContentBasedDeduplication", "false") : Map.of()))
        .topicArn());
  }

  @Override
  public String groupQueue(String topic, String group) {
    String name = queueName(topic, group);
    return groupUrls.computeIfAbsent(name, n -> provision(topic, group, n));
  }

  private String provision(String topic, String group, String name) {
    String topicArn = topicArn(topic);
    String url;
    try {
      url = sqs.getQueueUrl(r -> r.queueName(name)).queueUrl();
    } catch (QueueDoesNotExistException e) {
      url = sqs.createQueue(r -> r.queueName(name)
          .tags(Map.of(QueueDirectory.TOPIC_TAG, topic, QueueDirectory.GROUP_TAG, group))
          .attributes(QueueDirectory.attributes(name, visibilitySeconds))).queueUrl();
    }
    String queueUrl = url;
    String queueArn = sqs.getQueueAttributes(r -> r.queueUrl(queueUrl).attributeNames(QueueAttributeName.QUEUE_ARN))
        .attributes().get(QueueAttributeName.QUEUE_ARN);
    String policy = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"courier-sns\",\"Effect\":\"Allow\","
        + "\"Principal\":{\"Service\":\"sns.amazonaws.com\"},\"Action\":\"sqs:SendMessage\",\"Resource\":\"" + queueArn
        + "\",\"Condition\":{\"ArnEquals\":{\"aws:SourceArn\":\"" + topicArn + "\"}}}]}";
    sqs.setQueueAttributes(r -> r.queueUrl(queueUrl).attributes(Map.of(QueueAttributeName.POLICY, policy)));
    if (!subscribed(topicArn, queueArn)) {
      sns.subscribe(r -> r.topicArn(topicArn).protocol("sqs").endpoint(queueArn)
          .attributes(Map.of("RawMessageDelivery", "true")).returnSubscriptionArn(true));
    }
    return queueUrl;
  }

  private static boolean isDeadLetterTopic(String topic) {
    return topic.endsWith("-" + NamingRules.Derived.DEAD_LETTER.suffix());
  }

  /** Whether an SQS queue subscribes to the topic (listed afresh each time: dead letters are rare). */
  private boolean hasSubscription(String topicArn) {
    for (Subscription s : sns.listSubscriptionsByTopicPaginator(r -> r.topicArn(topicArn)).subscriptions()) {
      if ("sqs".equals(s.protocol())) {
        return true;
      }
    }
    return false;
  }

  private boolean subscribed(String topicArn, String queueArn) {
    for (Subscription s : sns.listSubscriptionsByTopicPaginator(r -> r.topicArn(topicArn)).subscriptions()) {
      if ("sqs".equals(s.protocol()) && queueArn.equals(s.endpoint())) {
        return true;
      }
    }
    return false;
  }

  @Override
  public Optional<String> existing(String queueName) {
    String url = groupUrls.get(queueName);
    if (url != null) {
      return Optional.of(url);
    }
    try {
      return Optional.of(sqs.getQueueUrl(r -> r.queueName(queueName)).queueUrl());
    } catch (QueueDoesNotExistException e) {
      return Optional.empty();
    }
  }

  @Override
  public Map<Integer, String> publish(String topic, List<SendBatcher.Pending> batch) {
    String arn = topicArn(topic);
    if (isDeadLetterTopic(topic) && !hasSubscription(arn)) {
      // SNS accepts a publish to a topic nobody subscribes to and drops it; confirming a dead letter
      // would let the core delete the original.
      throw new PublishException("dead-letter topic '" + topic + "' has no subscribed group queue; the dead letter is"
          + " not confirmed (ensure its group, e.g. by starting the dead-letter admin, then retry)");
    }
    List<PublishBatchRequestEntry> entries = new ArrayList<>(batch.size());
    for (int i = 0; i < batch.size(); i++) {
      WireFormat.Outgoing out = batch.get(i).out();
      Map<String, MessageAttributeValue> attributes = new HashMap<>();
      out.attributes().forEach((k, v) -> attributes.put(k, MessageAttributeValue.builder().dataType(v.dataType())
          .stringValue(v.stringValue())
          .binaryValue(v.binaryValue() == null ? null : SdkBytes.fromByteArrayUnsafe(v.binaryValue().asByteArrayUnsafe()))
          .build()));
      Fifo.Ids ids = batch.get(i).fifo();
      entries.add(PublishBatchRequestEntry.builder().id(Integer.toString(i)).message(out.body())
          .messageAttributes(attributes).messageGroupId(ids == null ? null : ids.groupId())
          .messageDeduplicationId(ids == null ? null : ids.deduplicationId()).build());
    }
    Map<Integer, String> failed = new HashMap<>();
    for (BatchResultErrorEntry e : sns.publishBatch(r -> r.topicArn(arn).publishBatchRequestEntries(entries)).failed()) {
      failed.put(Integer.parseInt(e.id()), e.code() + " " + e.message());
    }
    return failed;
  }
}
