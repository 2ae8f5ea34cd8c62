package dev.courier.pubsub.internal;

import com.google.api.gax.batching.BatchingSettings;
import com.google.api.gax.core.FixedExecutorProvider;
import com.google.api.gax.retrying.RetrySettings;
import com.google.api.gax.rpc.ApiException;
import com.google.cloud.pubsub.v1.Publisher;
import com.google.pubsub.v1.PubsubMessage;
import dev.courier.PublishException;
import dev.courier.pubsub.PubSubSettings;
import dev.courier.spi.support.Threads;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client {@link Publisher} per topic, created on first use, cached, and shut down (flushing
 * what it holds) with the transport. Publishers order by key: a message with a key is published
 * with it as ordering key, so a group created with message ordering receives a key's messages in
 * publish order; {@link TopicPublisher} resumes a key after a failed publish, so one failure does
 * not block the key for good (the failed message fails its future, and the caller decides).
 */
public final class Publishers implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Publishers.class);
  private static final Duration MIN_CLIENT_TIMEOUT = Duration.ofSeconds(10);

  private final Clients clients;
  private final Topology topology;
  private final PubSubSettings settings;
  private final ScheduledExecutorService executor;
  private final Executor completions;
  private final Map<String, Topic> publishers = new ConcurrentHashMap<>();
  private volatile boolean closed;

  public Publishers(Clients clients, Topology topology, PubSubSettings settings, ScheduledExecutorService executor,
      Executor completions) {
    this.clients = clients;
    this.topology = topology;
    this.settings = settings;
    this.executor = executor;
    this.completions = completions;
  }

  /** Publishes; the future completes when Pub/Sub stored the message, or fails with a PublishException. */
  public CompletableFuture<Void> publish(String topic, PubsubMessage message) {
    CompletableFuture<Void> result = new CompletableFuture<>();
    Topic target;
    try {
      target = publisher(topic);
    } catch (RuntimeException e) {
      result.completeExceptionally(e);
      return result;
    }
    // Always armed: an ordered key's later batches wait for its earlier ones, and the caller's
    // timeout counts from its publish, not from when the client sends the batch.
    ScheduledFuture<?> timer = executor.schedule(() -> result.completeExceptionally(new PublishException(
        "Pub/Sub did not confirm a message for topic '" + topic + "' within " + settings.publishTimeout()
        + " (it may still be stored)")), settings.publishTimeout().toMillis(), TimeUnit.MILLISECONDS);
    result.whenComplete((v, e) -> timer.cancel(false));
    target.sender().publish(message, result);
    return result;
  }

  /** Runs a publish callback on the completion threads, or here once they are shut down (transport closed). */
  private void complete(Runnable callback) {
    try {
      completions.execute(callback);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      callback.run();
    }
  }

  private Topic publisher(String topic) {
    if (closed) {
      throw PublishFailures.closed();
    }
    Topic p = publishers.computeIfAbsent(topic, t -> {
      Publisher client = create(t);
      return new Topic(new TopicPublisher(t, PublishClient.of(client), this::complete, executor), client);
    });
    if (closed) {
      // close() may have taken its snapshot before p was added: whoever removes p shuts it down, once.
      if (publishers.remove(topic, p)) {
        p.sender().close();
        p.client().shutdown();
      }
      throw PublishFailures.closed();
    }
    return p;
  }

  private Publisher create(String topic) {
    Duration timeout = settings.publishTimeout();
    // The client retries transient failures within the total timeout (at least 10 s: it refuses
    // less); publish() fails the caller's future at the publish timeout whatever the client still
    // does, so a publish reported failed may yet be stored (as the timeout's message says). One
    // attempt only was tried and made transient failures under load pause ordered keys.
    RetrySettings retry = RetrySettings.newBuilder()
        .setTotalTimeoutDuration(timeout.compareTo(MIN_CLIENT_TIMEOUT) < 0 ? MIN_CLIENT_TIMEOUT : timeout)
        .setInitialRetryDelayDuration(Duration.ofMillis(100))
        .setRetryDelayMultiplier(2)
        .setMaxRetryDelayDuration(Duration.ofSeconds(2))
        .setInitialRpcTimeoutDuration(timeout)
        .setRpcTimeoutMultiplier(1)
        .setMaxRpcTimeoutDuration(timeout)
        .build();
    BatchingSettings batching = BatchingSettings.newBuilder()
        .setElementCountThreshold((long) settings.batchMaxMessages())
        .setRequestByteThreshold((long) settings.batchMaxBytes())
        .setDelayThresholdDuration(settings.batchDelay())
        .build();
    try {
      return Publisher.newBuilder(topology.topicName(topic))
          .setChannelProvider(clients.channelProvider())
          .setCredentialsProvider(clients.credentials())
          .setExecutorProvider(FixedExecutorProvider.create(executor))
          .setEnableMessageOrdering(true)
          .setBatchingSettings(batching)
          .setRetrySettings(retry)
          .build();
    } catch (IOException e) {
      throw new PublishException("cannot create a Pub/Sub publisher for topic '" + topic + "': " + e.getMessage(), e);
    }
  }

  static String describe(Throwable t) {
    if (t instanceof ApiException api) {
      return api.getStatusCode().getCode() + " " + api.getMessage() + (api.getStatusCode().getCode().name().equals("NOT_FOUND")
          ? " (the topic does not exist: provision it with admin().ensureTopic or ensureGroup)" : "");
    }
    return t.getClass().getSimpleName() + ": " + t.getMessage();
  }

  /**
   * Flushes and shuts down every publisher, waiting up to {@code timeout} for outstanding publishes.
   * The client's shutdown blocks until every outstanding publish ended (retries included), so it
   * runs on a thread of its own and is left behind after the timeout: those publishes have failed
   * their futures by then (publish timeout).
   */
  public void close(Duration timeout) {
    closed = true;
    List<Publisher> all = new ArrayList<>();
    for (String topic : publishers.keySet()) {
      Topic p = publishers.remove(topic); // null if publisher(topic) closed it, seeing closed
      if (p != null) {
        p.sender().close();
        all.add(p.client());
      }
    }
    if (all.isEmpty()) {
      return;
    }
    Thread shutdown = Threads.thread("courier-pubsub-publisher-shutdown", true, () -> {
      for (Publisher p : all) {
        p.shutdown();
      }
      for (Publisher p : all) {
        try {
          p.awaitTermination(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    });
    shutdown.start();
    try {
      shutdown.join(timeout.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    if (shutdown.isAlive()) {
      log.warn("Pub/Sub publishers did not finish within {}; their unconfirmed publishes fail", timeout);
    }
  }

  @Override
  public void close() {
    close(settings.publishTimeout());
  }

  /** A topic's client and how Courier sends through it. */
  private record Topic(TopicPublisher sender, Publisher client) {}
}
