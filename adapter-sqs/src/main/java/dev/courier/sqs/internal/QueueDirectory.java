package dev.courier.sqs.internal;

import dev.courier.IncompatibleGroupException;
import dev.courier.PublishException;
import dev.courier.spi.NamingRules;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.BatchResultErrorEntry;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;

/**
 * The queues of the queue topology, and their URLs (cached). A topic is one queue named
 * {@code <prefix><topic>} ({@code <prefix><topic>.fifo} for a FIFO topic), owned by one group (its tag {@value #GROUP_TAG}); a second group on it
 * fails with {@link IncompatibleGroupException}. Dead-letter topics are the exception: several
 * groups read them (the dead-letter admin's and observers), so each of their groups has a queue of
 * its own, {@code <prefix><topic, cut>_<16 hex digits of SHA-256 over topic and group>}, tagged with
 * the topic, and a send to a dead-letter topic goes to every such queue (dead letters are rare,
 * so the listing per send costs little). A send to a dead-letter topic with no group's queue fails
 * with {@link PublishException}: confirming it would let the core delete the original.
 */
public final class QueueDirectory implements Topology {
  static final String GROUP_TAG = "courier-group";
  static final String TOPIC_TAG = "courier-topic";
  private static final int MAX_QUEUE_NAME = 80;
  private static final Duration FAN_OUT_CACHE = Duration.ofSeconds(1);

  private final SqsClient sqs;
  private final String prefix;
  private final NamingRules naming;
  private final Fifo fifo;
  private final String visibilitySeconds;
  private final Map<String, String> urls = new ConcurrentHashMap<>();
  private final Map<String, Boolean> owned = new ConcurrentHashMap<>();
  private final Map<String, CachedList> fanOut = new ConcurrentHashMap<>();
  private final Map<String, Set<String>> made = new ConcurrentHashMap<>();

  private record CachedList(List<String> urls, long atNanos) {}

  public QueueDirectory(SqsClient sqs, String prefix, NamingRules naming, Fifo fifo, Duration visibilityTimeout) {
    this.sqs = sqs;
    this.prefix = prefix;
    this.naming = naming;
    this.fifo = fifo;
    this.visibilitySeconds = Long.toString(visibilityTimeout.toSeconds());
  }

  @Override
  public boolean fansOut() {
    return false;
  }

  @Override
  public boolean nativePublishDelay() {
    return true;
  }

  @Override
  public boolean isFifo(String topic) {
    return fifo.isFifo(topic);
  }

  @Override
  public void ensureTopic(String topic) {
    if (!isDeadLetterTopic(topic)) {
      topicQueue(topic);
    }
  }

  @Override
  public Map<Integer, String> publish(String topic, List<SendBatcher.Pending> batch) {
    List<SendMessageBatchRequestEntry> entries = new ArrayList<>(batch.size());
    for (int i = 0; i < batch.size(); i++) {
      SendBatcher.Pending p = batch.get(i);
      SendMessageBatchRequestEntry.Builder e = SendMessageBatchRequestEntry.builder().id(Integer.toString(i))
          .messageBody(p.out().body()).messageAttributes(p.out().attributes());
      if (p.fifo() == null) {
        e.delaySeconds(p.delaySeconds());
      } else { // FIFO queues take no per-message delay
        e.messageGroupId(p.fifo().groupId()).messageDeduplicationId(p.fifo().deduplicationId());
      }
      entries.add(e.build());
    }
    Map<Integer, String> failed = new java.util.HashMap<>();
    if (!isDeadLetterTopic(topic)) {
      String url = topicQueue(topic);
      for (BatchResultErrorEntry e : sqs.sendMessageBatch(r -> r.queueUrl(url).entries(entries)).failed()) {
        failed.put(Integer.parseInt(e.id()), e.code() + " " + e.message());
      }
      return failed;
    }
    int reached = 0;
    for (String url : deadLetterQueues(topic)) {
      List<BatchResultErrorEntry> refused;
      try {
        refused = sqs.sendMessageBatch(r -> r.queueUrl(url).entries(entries)).failed();
      } catch (QueueDoesNotExistException e) {
        forgetDeadLetterQueue(topic, url); // deleted behind our back: it keeps nothing
        continue;
      }
      reached++;
      for (BatchResultErrorEntry e : refused) {
        failed.put(Integer.parseInt(e.id()), e.code() + " " + e.message());
      }
    }
    if (reached == 0) {
      // Confirming would let the core delete the original: a dead letter nobody keeps is a loss.
      throw new PublishException("no group's queue exists for dead-letter topic '" + topic + "'; the dead letter"
          + " is not confirmed (ensure its group, e.g. by starting the dead-letter admin, then retry)");
    }
    return failed;
  }

  private void forgetDeadLetterQueue(String topic, String url) {
    Set<String> mine = made.get(topic);
    if (mine != null) {
      mine.remove(url);
    }
    fanOut.remove(topic);
    forget(url);
  }

  /** Whether {@code topic} is a dead-letter topic, whose groups each have a queue of their own. */
  public boolean isDeadLetterTopic(String topic) {
    return topic.endsWith("-" + NamingRules.Derived.DEAD_LETTER.suffix());
  }

  @Override
  public String queueName(String topic, String group) {
    if (!isDeadLetterTopic(topic)) {
      return topicQueueName(topic);
    }
    return fanOutPrefix(topic) + sha256Hex(topic.length() + ":" + topic + group).substring(0, 16);
  }

  /** {@code <prefix><topic>}, and {@code .fifo} for a FIFO topic. */
  private String topicQueueName(String topic) {
    return prefix + topic + (fifo.isFifo(topic) ? Fifo.SUFFIX : "");
  }

  private String fanOutPrefix(String topic) {
    String stem = prefix + topic;
    return stem.substring(0, Math.min(stem.length(), MAX_QUEUE_NAME - 17)) + "_";
  }

  /** The URL of the queue a send to {@code topic} goes to, created if missing (not for dead-letter topics). */
  public String topicQueue(String topic) {
    return urls.computeIfAbsent(topicQueueName(topic), name -> urlOrCreate(name, Map.of(TOPIC_TAG, topic)));
  }

  /** The URLs a send to the dead-letter topic {@code topic} goes to: one per group, listed afresh every second. */
  public List<String> deadLetterQueues(String topic) {
    CachedList cached = fanOut.get(topic);
    if (cached != null && System.nanoTime() - cached.atNanos < FAN_OUT_CACHE.toNanos()) {
      return withMade(topic, cached.urls);
    }
    List<String> found = new ArrayList<>();
    for (String url : sqs.listQueues(r -> r.queueNamePrefix(fanOutPrefix(topic)).maxResults(1000)).queueUrls()) {
      try {
        if (topic.equals(sqs.listQueueTags(r -> r.queueUrl(url)).tags().get(TOPIC_TAG))) {
          found.add(url);
        }
      } catch (QueueDoesNotExistException e) {
        // deleted meanwhile
      }
    }
    fanOut.put(topic, new CachedList(List.copyOf(found), System.nanoTime()));
    return withMade(topic, found);
  }

  /**
   * The listing plus the queues this process made or found for the topic's groups: a listing that
   * began before one was created, or that lags behind creation (ListQueues and tags are eventually
   * consistent on SQS), must not leave it out.
   */
  private List<String> withMade(String topic, List<String> listed) {
    Set<String> mine = made.get(topic);
    if (mine == null || listed.containsAll(mine)) {
      return listed;
    }
    Set<String> all = new LinkedHashSet<>(listed);
    all.addAll(mine);
    return List.copyOf(all);
  }

  /**
   * The URL of {@code group}'s queue on {@code topic}, created if missing; fails with
   * {@link IncompatibleGroupException} if the topic's queue belongs to another group.
   */
  @Override
  public String groupQueue(String topic, String group) {
    String name = queueName(topic, group);
    if (isDeadLetterTopic(topic)) {
      String url = urls.computeIfAbsent(name, n -> urlOrCreate(n, Map.of(TOPIC_TAG, topic, GROUP_TAG, group)));
      made.computeIfAbsent(topic, k -> ConcurrentHashMap.newKeySet()).add(url);
      fanOut.remove(topic);
      return url;
    }
    String url = topicQueue(topic);
    if (owned.containsKey(name + "\n" + group)) {
      return url;
    }
    Map<String, String> tags = sqs.listQueueTags(r -> r.queueUrl(url)).tags();
    String owner = tags.get(GROUP_TAG);
    if (owner == null) {
      sqs.tagQueue(r -> r.queueUrl(url).tags(Map.of(GROUP_TAG, group)));
      owner = sqs.listQueueTags(r -> r.queueUrl(url)).tags().get(GROUP_TAG);
    }
    if (!group.equals(owner)) {
      throw new IncompatibleGroupException("topic '" + topic + "' already has group '" + owner + "'; with "
          + "courier.sqs.topology=queue a topic is one queue and group '" + group + "' would compete with it for "
          + "its messages instead of getting each of them: use one group per topic");
    }
    owned.put(name + "\n" + group, Boolean.TRUE);
    return url;
  }

  @Override
  public java.util.Optional<String> existing(String name) {
    String url = urls.get(name);
    if (url != null) {
      return java.util.Optional.of(url);
    }
    try {
      return java.util.Optional.of(sqs.getQueueUrl(r -> r.queueName(name)).queueUrl());
    } catch (QueueDoesNotExistException e) {
      return java.util.Optional.empty();
    }
  }

  private String urlOrCreate(String name, Map<String, String> tags) {
    try {
      return sqs.getQueueUrl(r -> r.queueName(name)).queueUrl();
    } catch (QueueDoesNotExistException e) {
      return sqs.createQueue(r -> r.queueName(name).tags(tags).attributes(attributes(name, visibilitySeconds)))
          .queueUrl();
    }
  }

  /** A new queue's attributes: the visibility timeout, 14 days' retention, and FIFO for a {@code .fifo} name. */
  static Map<QueueAttributeName, String> attributes(String name, String visibilitySeconds) {
    Map<QueueAttributeName, String> a = new java.util.EnumMap<>(QueueAttributeName.class);
    a.put(QueueAttributeName.VISIBILITY_TIMEOUT, visibilitySeconds);
    a.put(QueueAttributeName.MESSAGE_RETENTION_PERIOD, "1209600");
    if (Fifo.isFifoQueue(name)) {
      a.put(QueueAttributeName.FIFO_QUEUE, "true");
      a.put(QueueAttributeName.CONTENT_BASED_DEDUPLICATION, "false");
    }
    return a;
  }

  /** Forgets a cached URL after the queue was found missing (deleted behind our back). */
  public void forget(String url) {
    urls.values().removeIf(url::equals);
  }

  public NamingRules naming() {
    return naming;
  }

  /**
   * {@code <stem, cut>_<16 hex digits of SHA-256 over topic and group>}, and {@code suffix}: at most
   * 80 characters, collision resistant.
   */
  static String hashedQueueName(String stem, String topic, String group, String suffix) {
    return stem.substring(0, Math.min(stem.length(), MAX_QUEUE_NAME - 17 - suffix.length())) + "_"
        + sha256Hex(topic.length() + ":" + topic + group).substring(0, 16) + suffix;
  }

  static String sha256Hex(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
