package dev.courier.kafka;

import static dev.courier.kafka.KafkaTopics.adminFailure;

import dev.courier.CourierException;
import dev.courier.kafka.internal.DelayedForwarder;
import dev.courier.spi.support.Backoff;
import dev.courier.spi.support.RateLimitedLog;
import dev.courier.spi.support.Threads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.ToIntFunction;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The delayed-publish forwarders a transport runs, one per topic, and their upkeep: a forwarder is
 * started once the transport sends delayed to its topic or receives from it (see
 * {@link KafkaTransport}); every {@value #FORWARDER_CHECK_SECONDS} s the upkeep starts the ones
 * that should run and do not. A failure to create or find a delayed-publish topic is remembered
 * and retried with backoff, not at every publish. Thread-safe.
 */
final class DelayedForwarders {
  private static final Logger log = LoggerFactory.getLogger(DelayedForwarders.class);
  /** How often the transport looks for topics that should have a running forwarder and have none. */
  static final int FORWARDER_CHECK_SECONDS = 30;
  /** Backoff after a failure to create or find a delayed-publish topic. */
  private static final Backoff TOPIC_FAILURE_BACKOFF = Backoff.exponential(Duration.ofSeconds(5), Duration.ofMinutes(5));

  private final KafkaSettings settings;
  private final KafkaTopics topics;
  private final Producer<byte[], byte[]> producer;
  private final ToIntFunction<String> unkeyedPartition;
  private final AtomicBoolean closed;
  /** The running forwarders by topic; guarded by itself for start and close. */
  private final Map<String, DelayedForwarder> forwarders = new HashMap<>();
  /** Topics this transport sends delayed to or receives from: each should have a running forwarder. */
  private final Set<String> forwardedTopics = ConcurrentHashMap.newKeySet();
  /** Delayed-publish topics whose creation or lookup failed: no admin call for them until the backoff ends. */
  private final Map<String, TopicFailure> topicFailures = new ConcurrentHashMap<>();
  /** Failures of the forwarder upkeep are logged at WARN at most once a minute, else at DEBUG. */
  private final RateLimitedLog failureLog = new RateLimitedLog(Duration.ofMinutes(1));
  /** Runs the forwarder upkeep; started with the first forwarded topic, guarded by {@link #forwarders}. */
  private ScheduledExecutorService upkeep;

  /**
   * @param unkeyedPartition the partition of a topic for its next record without a key
   * @param closed the transport's closed flag: set, nothing starts any more
   */
  DelayedForwarders(KafkaSettings settings, KafkaTopics topics, Producer<byte[], byte[]> producer,
      ToIntFunction<String> unkeyedPartition, AtomicBoolean closed) {
    this.settings = settings;
    this.topics = topics;
    this.producer = producer;
    this.unkeyedPartition = unkeyedPartition;
    this.closed = closed;
  }

  /**
   * Starts this transport's forwarder of {@code topic} unless it runs already. With
   * {@code create}, creates the topic and its delayed-publish topic first (a failure throws);
   * without, starts it only if the delayed-publish topic exists. Either way the upkeep looks again
   * every {@value #FORWARDER_CHECK_SECONDS} s while it does not run. Returns whether it runs.
   */
  boolean ensureForwarder(String topic, boolean create) {
    forwardedTopics.add(topic);
    startUpkeep();
    if (forwarderRunning(topic)) {
      return true;
    }
    String delayed = KafkaTransport.delayedTopic(topic);
    if (create) {
      topics.ensureTopic(topic);
      createDelayedTopic(topic, delayed);
    } else if (!delayedTopicExists(delayed)) {
      return false;
    }
    DelayedForwarder forwarder;
    synchronized (forwarders) {
      checkOpen(); // close() takes its snapshot under this lock: a forwarder added here is closed with the rest
      if (forwarders.containsKey(topic)) {
        return true;
      }
      forwarder = new DelayedForwarder(topic, delayed,
          settings.consumerProperties(KafkaTransport.forwarderGroupId(topic), 500), producer,
          settings.receiverSettings(), () -> unkeyedPartition.applyAsInt(topic), this::forwarderStopped);
      forwarders.put(topic, forwarder);
    }
    forwarder.start();
    log.debug("started the delayed-publish forwarder of {}", topic);
    return true;
  }

  /** {@link #ensureForwarder} without creating anything, on the upkeep thread (nothing if closed). */
  void ensureForwarderLater(String topic) {
    runUpkeep(() -> ensureForwarder(topic, false));
  }

  /** Like {@code ensureForwarder(topic, false)}, but a failure is logged (rate-limited), not thrown, unless closed. */
  void tryEnsureForwarder(String topic) {
    try {
      ensureForwarder(topic, false);
    } catch (RuntimeException e) {
      if (closed.get()) {
        throw e;
      }
      logFailure("could not start the delayed-publish forwarder of {} ({}); trying again in {} s; meanwhile delayed "
          + "messages to it are forwarded by the processes that publish them", topic, e.toString(),
          FORWARDER_CHECK_SECONDS);
    }
  }

  private boolean forwarderRunning(String topic) {
    synchronized (forwarders) {
      return forwarders.containsKey(topic);
    }
  }

  /** Creates {@code delayed} unless it exists; a failure is remembered: until its backoff ends it is thrown again. */
  private void createDelayedTopic(String topic, String delayed) {
    if (topics.isKnown(delayed)) {
      return;
    }
    TopicFailure failed = topicFailures.get(delayed);
    if (failed != null && System.currentTimeMillis() < failed.retryAt()) {
      throw failed.error();
    }
    try {
      topics.ensureHoldingTopic(delayed, topics.partitions(topic));
      topicFailures.remove(delayed);
    } catch (RuntimeException e) {
      if (closed.get()) {
        throw e;
      }
      if (existsDespite(delayed)) {
        return; // say, allowed to write to it but not to create topics
      }
      CourierException error = e instanceof CourierException c ? c
          : adminFailure("create topic '" + delayed + "'", e);
      topicFailed(delayed, error);
      throw error;
    }
  }

  /** After a failed creation: whether the topic exists all the same (one lookup; false if that fails too). */
  private boolean existsDespite(String topic) {
    try {
      lookUp(topic);
      return true;
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      return false;
    }
  }

  /** Describes {@code topic}; once the broker knows it, remembers it as known and forgets its failures. */
  private void lookUp(String topic) throws ExecutionException, TimeoutException, InterruptedException {
    topics.lookUp(topic);
    topicFailures.remove(topic);
  }

  /**
   * Whether {@code delayed} exists, without creating it. A failed lookup (not "unknown topic") is
   * remembered: until its backoff ends the answer is false without asking the broker.
   */
  private boolean delayedTopicExists(String delayed) {
    if (topics.isKnown(delayed)) {
      return true;
    }
    TopicFailure failed = topicFailures.get(delayed);
    if (failed != null && System.currentTimeMillis() < failed.retryAt()) {
      return false;
    }
    try {
      lookUp(delayed);
      return true;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        topicFailures.remove(delayed);
        return false;
      }
      topicFailed(delayed, adminFailure("look up topic '" + delayed + "'", e.getCause()));
      return false;
    } catch (TimeoutException e) {
      topicFailed(delayed, adminFailure("look up topic '" + delayed + "'", e));
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Remembers a failure for {@code topic}, backing off (doubling) before the next admin call; logs at most once a minute. */
  private void topicFailed(String topic, CourierException error) {
    TopicFailure before = topicFailures.get(topic);
    int failures = before == null ? 1 : before.failures() + 1;
    long backoff = TOPIC_FAILURE_BACKOFF.delayMillis(failures);
    topicFailures.put(topic, new TopicFailure(System.currentTimeMillis() + backoff, error, failures));
    logFailure("{}; delayed publishes to its topic are not forwarded by this process until it succeeds "
        + "(next attempt in {} s, {} failures)", error.getMessage(), backoff / 1000, failures);
  }

  private void logFailure(String format, Object... args) {
    if (failureLog.admit() != RateLimitedLog.SUPPRESSED) {
      log.warn(format, args);
    } else {
      log.debug(format, args);
    }
  }

  /** A remembered failure to create or look up a delayed-publish topic. */
  private record TopicFailure(long retryAt, CourierException error, int failures) {}

  /** Starts the upkeep thread unless it runs: every FORWARDER_CHECK_SECONDS, start the missing forwarders. */
  private void startUpkeep() {
    synchronized (forwarders) {
      if (upkeep != null || closed.get()) {
        return;
      }
      upkeep = Executors.newSingleThreadScheduledExecutor(Threads.factory("courier-kafka-forwarder-upkeep", true));
      upkeep.scheduleWithFixedDelay(this::startMissingForwarders, FORWARDER_CHECK_SECONDS, FORWARDER_CHECK_SECONDS,
          TimeUnit.SECONDS);
    }
  }

  /** Runs {@code task} on the upkeep thread (nothing if the transport closed). */
  private void runUpkeep(Runnable task) {
    synchronized (forwarders) {
      if (upkeep == null || closed.get()) {
        return;
      }
      try {
        upkeep.execute(() -> {
          try {
            task.run();
          } catch (RuntimeException e) {
            if (!closed.get()) {
              logFailure("could not start a delayed-publish forwarder ({})", e.toString());
            }
          }
        });
      } catch (RejectedExecutionException e) {
        // closing
      }
    }
  }

  private void startMissingForwarders() {
    for (String topic : forwardedTopics) {
      if (closed.get()) {
        return;
      }
      try {
        if (!forwarderRunning(topic)) {
          ensureForwarder(topic, false);
        }
      } catch (RuntimeException e) {
        if (!closed.get()) {
          logFailure("could not start the delayed-publish forwarder of {} ({}); trying again in {} s", topic,
              e.toString(), FORWARDER_CHECK_SECONDS);
        }
      }
    }
  }

  private void forwarderStopped(DelayedForwarder f) {
    synchronized (forwarders) {
      forwarders.remove(f.topic(), f); // the upkeep (or a later sendDelayed or receive) starts a new one
    }
  }

  /**
   * Stops the upkeep and closes every forwarder: all at once, then waits for each. Call after
   * setting the closed flag and before the producer closes, as they wait for their forwards' acks.
   */
  void close() {
    List<DelayedForwarder> running;
    synchronized (forwarders) {
      running = new ArrayList<>(forwarders.values());
      if (upkeep != null) {
        upkeep.shutdownNow();
      }
    }
    for (DelayedForwarder f : running) {
      try {
        f.beginClose();
      } catch (RuntimeException e) {
        log.warn("closing {} failed", f, e);
      }
    }
    running.forEach(DelayedForwarder::awaitClosed);
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new IllegalStateException("the Kafka transport is closed");
    }
  }
}
