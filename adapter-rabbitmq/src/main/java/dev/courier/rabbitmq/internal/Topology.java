package dev.courier.rabbitmq.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import dev.courier.CourierException;
import dev.courier.IncompatibleGroupException;
import dev.courier.rabbitmq.QueueType;
import java.io.IOException;
import dev.courier.spi.NamingRules;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * What the adapter declares, idempotently, and the names it uses:
 * <ul>
 *   <li>topic {@code T}: a durable topic exchange {@code T}, bound under key {@code T} to the direct
 *       exchange {@value #DELAYED_PUBLISH_EXCHANGE} so delayed publishes reach it when they expire;
 *   <li>group {@code G} of {@code T}: a durable queue {@code T:G} (quorum by default) bound to
 *       {@code T} with {@code #}; ':' is not allowed in names, so queue names never collide. An
 *       ordered group's queue has {@code x-single-active-consumer}, which RabbitMQ fixes when the
 *       queue is declared: asking an existing queue without it for order fails (a re-declaration
 *       with other arguments is refused with PRECONDITION_FAILED), while an unordered request
 *       accepts a single-active-consumer queue as it is;
 *   <li>delay tiers: for each tier, a fanout exchange and a durable quorum queue
 *       {@code courier:delay2:<kind>:<ms>} holding messages for their per-message TTL, then
 *       dead-lettering them, with their routing key, to the group's queue (redelivery, through the
 *       default exchange) or to the topic (delayed publish). The tiers dead-letter
 *       {@code at-least-once} (RabbitMQ 3.10+; needs {@code x-overflow=reject-publish}): the broker
 *       keeps an expired message until its target queue confirms it, where classic queues'
 *       dead-lettering may lose it. The {@code 2} in the name keeps them apart from the classic
 *       tiers of earlier versions, which could not be re-declared with other arguments. A tier only holds delays in
 *       {@code [ms, ms × √2)}, so a long delay never sits in front of a much shorter one; a message
 *       is late by less than 42 % of its delay at worst, and on time when its tier is not busy.
 * </ul>
 * Declarations are cached per connection lifetime; the broker keeps them durably. They go over the
 * consuming connection (a publishing connection can be blocked by a resource alarm), or over the
 * publishing one while the consuming connection is down: the two recover independently, and a
 * publish must not fail because the other connection has not come back yet.
 */
public final class Topology {
  static final String DELAYED_PUBLISH_EXCHANGE = "courier:delayed-publish";
  private static final String PREFIX = "courier:delay2:";
  /**
   * RabbitMQ's names: 255 bytes, no {@code amq.} prefix; queues {@code topic:group} (':' never in a
   * name, so no two pairs share a queue), over 255 bytes cut and ending in ':' and the name's SHA-256.
   */
  public static final NamingRules NAMING = NamingRules.of(255,
      Pattern.compile("(?!amq\\.)[A-Za-z0-9._\\-]+"),
      "letters, digits, '.', '_' and '-', not starting with 'amq.'", ".").withGroupNames("{topic}:{group}", 255);
  private static final double TIER_RATIO = Math.sqrt(2);

  private final Connection connection;
  private final Connection fallback;
  private final QueueType queueType;
  private final boolean singleActiveConsumer;
  private final Set<String> topics = ConcurrentHashMap.newKeySet();
  /** Declared queues: whether each has a single active consumer. */
  private final Map<String, Boolean> queues = new ConcurrentHashMap<>();
  private final Set<String> tiers = ConcurrentHashMap.newKeySet();
  private volatile boolean delayedPublishExchange;
  private Channel channel; // guarded by this
  private boolean onFallback; // guarded by this: whether channel belongs to the fallback connection

  /** Declares over {@code connection}, or over {@code fallback} while {@code connection} is down. */
  public Topology(Connection connection, Connection fallback, QueueType queueType, boolean singleActiveConsumer) {
    this.connection = connection;
    this.fallback = fallback;
    this.queueType = queueType;
    this.singleActiveConsumer = singleActiveConsumer;
  }

  /** The queue of {@code group} on {@code topic}: {@code topic:group}, hashed if over 255 bytes ({@link NamingRules#groupName}). */
  public static String queueName(String topic, String group) {
    return NAMING.groupName(topic, group);
  }

  /** Declares the topic's exchange (and its binding for delayed publishes) unless already done. */
  public void ensureTopic(String topic) {
    if (topics.contains(topic)) {
      return;
    }
    declare("topic '" + topic + "'", ch -> {
      ch.exchangeDeclare(topic, BuiltinExchangeType.TOPIC, true);
      declareDelayedPublishExchange(ch);
      ch.exchangeBind(topic, DELAYED_PUBLISH_EXCHANGE, topic);
    });
    topics.add(topic);
  }

  /**
   * Declares the topic and the group's queue, bound to it, with a single active consumer if
   * {@code ordered} (or the adapter's setting asks for it for every group); returns whether the
   * queue has one.
   *
   * @throws IncompatibleGroupException if the queue exists without the single active consumer
   *     {@code ordered} needs
   */
  public boolean ensureGroup(String topic, String group, boolean ordered) {
    String queue = queueName(topic, group);
    boolean wanted = singleActiveConsumer || ordered;
    Boolean known = queues.get(queue);
    if (known != null && (known || !wanted)) {
      return known;
    }
    ensureTopic(topic);
    Map<String, Object> args = new HashMap<>();
    args.put("x-queue-type", queueType == QueueType.QUORUM ? "quorum" : "classic");
    if (wanted) {
      args.put("x-single-active-consumer", true);
    }
    String what = "group '" + group + "' of topic '" + topic + "'";
    try {
      declare(what, ch -> {
        ch.queueDeclare(queue, true, false, false, args);
        ch.queueBind(queue, topic, "#");
      });
    } catch (CourierException e) {
      if (!differsInSingleActiveConsumer(e)) {
        throw e;
      }
      if (wanted) {
        throw new IncompatibleGroupException(what + " exists as RabbitMQ queue '" + queue + "' without "
            + "x-single-active-consumer, which RabbitMQ fixes when a queue is declared, so it cannot keep key "
            + "order across its subscribers; delete the queue (Courier declares it again, ordered) or use a new "
            + "group name, or subscribe without orderedByKey", e);
      }
      // An ordered queue serves an unordered subscription as it is.
      declare(what, ch -> {
        ch.queueDeclarePassive(queue);
        ch.queueBind(queue, topic, "#");
      });
      wanted = true;
    }
    queues.put(queue, wanted);
    return wanted;
  }

  private static boolean differsInSingleActiveConsumer(CourierException e) {
    String m = e.getMessage();
    return m != null && m.contains("PRECONDITION_FAILED") && m.contains("x-single-active-consumer");
  }

  /** Ready messages in the group's queue (0 if it does not exist). */
  public long messageCount(String topic, String group) {
    String queue = queueName(topic, group);
    long[] count = {0};
    try {
      declare("the backlog of '" + queue + "'", ch -> {
        AMQP.Queue.DeclareOk ok = ch.queueDeclarePassive(queue);
        count[0] = ok.getMessageCount();
      });
    } catch (CourierException e) {
      if (e.getMessage() != null && e.getMessage().contains("NOT_FOUND")) {
        return 0;
      }
      throw e;
    }
    return count[0];
  }

  /** The exchange to publish a redelivery of {@code delay} to (routing key: the group's queue). */
  public String redeliveryTier(Duration delay) {
    return tier("redeliver", delay, "");
  }

  /** The exchange to publish a delayed message of {@code delay} to (routing key: the topic). */
  public String delayedPublishTier(Duration delay) {
    return tier("publish", delay, DELAYED_PUBLISH_EXCHANGE);
  }

  /** The name of the redelivery tier (exchange and queue) holding {@code delay}. */
  public static String redeliveryTierName(Duration delay) {
    return tierName("redeliver", delay);
  }

  private static String tierName(String kind, Duration delay) {
    return PREFIX + kind + ":" + tierFloor(Math.max(1, delay.toMillis()));
  }

  private String tier(String kind, Duration delay, String deadLetterExchange) {
    String name = tierName(kind, delay);
    if (tiers.contains(name)) {
      return name;
    }
    Map<String, Object> args = tierArguments(deadLetterExchange);
    declare("delay tier '" + name + "'", ch -> {
      if (!deadLetterExchange.isEmpty()) {
        declareDelayedPublishExchange(ch);
      }
      ch.exchangeDeclare(name, BuiltinExchangeType.FANOUT, true);
      ch.queueDeclare(name, true, false, false, args);
      ch.queueBind(name, name, "");
    });
    tiers.add(name);
    return name;
  }

  /** The arguments a delay tier's queue is declared with. */
  public static Map<String, Object> tierArguments(String deadLetterExchange) {
    Map<String, Object> args = new HashMap<>();
    args.put("x-queue-type", "quorum");
    args.put("x-dead-letter-exchange", deadLetterExchange);
    args.put("x-dead-letter-strategy", "at-least-once");
    args.put("x-overflow", "reject-publish");
    return args;
  }

  /** The lower bound of the tier holding {@code millis}: the largest ⌊√2^k⌋ not above it. */
  static long tierFloor(long millis) {
    int k = (int) Math.floor(Math.log(millis) / Math.log(TIER_RATIO) + 1e-9);
    long floor = (long) Math.floor(Math.pow(TIER_RATIO, k));
    while (floor > millis && k > 0) {
      k--;
      floor = (long) Math.floor(Math.pow(TIER_RATIO, k));
    }
    return Math.max(1, floor);
  }

  private void declareDelayedPublishExchange(Channel ch) throws IOException {
    if (!delayedPublishExchange) {
      ch.exchangeDeclare(DELAYED_PUBLISH_EXCHANGE, BuiltinExchangeType.DIRECT, true);
      delayedPublishExchange = true;
    }
  }

  /** Forgets the group's queue and its topic, so the next ensureGroup declares them again. */
  public void forget(String topic, String group) {
    queues.remove(queueName(topic, group));
    topics.remove(topic);
  }

  /** Forgets what was declared, so it is declared again (after the broker lost it). */
  public void forget() {
    topics.clear();
    queues.clear();
    tiers.clear();
    delayedPublishExchange = false;
  }

  private interface Declaration {
    void run(Channel channel) throws IOException;
  }

  private synchronized void declare(String what, Declaration d) {
    try {
      d.run(channel());
    } catch (IOException | RuntimeException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new CourierException("RabbitMQ refused to declare " + what + ": "
          + ConfirmChannel.describe(cause), e);
    }
  }

  /** An open channel: on the main connection when it is up, else on the fallback. */
  private Channel channel() throws IOException {
    boolean useFallback = !connection.isOpen() && fallback.isOpen();
    if (channel != null && channel.isOpen() && onFallback == useFallback) {
      return channel;
    }
    close();
    channel = (useFallback ? fallback : connection).createChannel();
    onFallback = useFallback;
    return channel;
  }

  public synchronized void close() {
    if (channel != null && channel.isOpen()) {
      try {
        channel.close();
      } catch (IOException | RuntimeException | java.util.concurrent.TimeoutException e) {
        // closing anyway
      }
    }
  }
}
