package dev.courier.pubsub.internal;

import com.google.api.core.ApiFuture;
import com.google.api.core.ApiFutureCallback;
import com.google.api.core.ApiFutures;
import com.google.cloud.pubsub.v1.Publisher;
import com.google.pubsub.v1.PubsubMessage;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One topic's client {@link Publisher} as Courier sends through it. Unkeyed messages go straight
 * through; a keyed message goes with its key as ordering key, which the client sends one batch at a
 * time, in order.
 *
 * <p>A failed batch pauses its key in the client: the key's queued messages and later publishes are
 * cancelled (never sent) until {@link Publisher#resumePublish}. The client pauses the key after it
 * failed the batch's future, on the thread that saw the call fail, so a resume from the failure
 * callback can come before the pause, and a publish issued right after the failure is then cancelled
 * or left in the client's batch with nothing to send it. So a key is resumed only when its next
 * message is sent, alone, once none of its earlier messages is in the client (resume, publish,
 * flush); a cancellation of that one can only come from the earlier failure, so it is sent again; the
 * key's later messages wait here until one is confirmed, then go out in order. A message refused by
 * Pub/Sub fails the key's messages waiting here too: they were issued behind it.
 *
 * <p>Callers' futures are completed after the lock is released ({@link Outcomes}): their callbacks
 * run inline and may publish again, on the same key too, or block.
 */
final class TopicPublisher {
  private static final Logger log = LoggerFactory.getLogger(TopicPublisher.class);
  private static final int MAX_SENDS = 5;
  /** How long an idle key stays recovering; the client pauses a key within moments of its failure. */
  private static final Duration FORGET_AFTER = Duration.ofMinutes(1);

  private final String topic;
  private final PublishFailures failures;
  private final PublishClient publisher;
  private final Executor callbacks;
  private final ScheduledExecutorService scheduler;
  private final Map<String, Lane> lanes = new HashMap<>(); // guarded by this
  private volatile boolean closed; // written under this

  TopicPublisher(String topic, PublishClient publisher, Executor callbacks, ScheduledExecutorService scheduler) {
    this.topic = topic;
    this.failures = new PublishFailures(topic);
    this.publisher = publisher;
    this.callbacks = callbacks;
    this.scheduler = scheduler;
  }

  /** Sends; {@code result} completes when Pub/Sub stored the message, or fails with a PublishException. */
  void publish(PubsubMessage message, CompletableFuture<Void> result) {
    String key = message.getOrderingKey();
    if (key.isEmpty()) {
      ApiFuture<String> sent;
      try {
        sent = publisher.publish(message);
      } catch (RuntimeException e) {
        result.completeExceptionally(failures.notSent(e, closed));
        return;
      }
      ApiFutures.addCallback(sent, new ApiFutureCallback<>() {
        @Override
        public void onSuccess(String messageId) {
          result.complete(null);
        }

        @Override
        public void onFailure(Throwable t) {
          result.completeExceptionally(failures.refused(t));
        }
      }, callbacks);
      return;
    }
    Outcomes done = new Outcomes();
    try {
      synchronized (this) {
        Lane lane = lanes.computeIfAbsent(key, k -> new Lane());
        if (lane.forget != null) {
          lane.forget.cancel(false);
          lane.forget = null;
        }
        Pending p = new Pending(message, result);
        if (lane.recovering) {
          lane.waiting.add(p);
        } else {
          send(key, lane, p, false, 1, done);
        }
        next(key, lane, done);
      }
    } finally {
      done.deliver();
    }
  }

  /** Fails the messages waiting here; sends nothing more. */
  void close() {
    Outcomes done = new Outcomes();
    try {
      synchronized (this) {
        closed = true;
        for (Lane lane : lanes.values()) {
          lane.waiting.forEach(p -> done.fail(p.result, PublishFailures.closed()));
          lane.waiting.clear();
          if (lane.forget != null) {
            lane.forget.cancel(false);
          }
        }
        lanes.clear();
      }
    } finally {
      done.deliver();
    }
  }

  /** Hands {@code p} to the client, or decides its failure in {@code done}; caller holds the lock. */
  private void send(String key, Lane lane, Pending p, boolean alone, int attempt, Outcomes done) {
    ApiFuture<String> sent;
    try {
      if (closed) {
        throw new IllegalStateException("closed");
      }
      if (alone) {
        publisher.resumePublish(key);
      }
      sent = publisher.publish(p.message);
    } catch (RuntimeException e) {
      done.fail(p.result, failures.notSent(e, closed));
      return;
    }
    lane.inClient++;
    ApiFutures.addCallback(sent, new ApiFutureCallback<>() {
      @Override
      public void onSuccess(String messageId) {
        confirmed(key, lane, p, alone);
      }

      @Override
      public void onFailure(Throwable t) {
        failed(key, lane, p, alone, attempt, t);
      }
    }, callbacks);
    if (alone) {
      flush(); // the client's batch alarm may have passed the key over
    }
  }

  private void confirmed(String key, Lane lane, Pending p, boolean alone) {
    Outcomes done = new Outcomes();
    try {
      synchronized (this) {
        lane.inClient--;
        done.confirm(p.result);
        if (alone) {
          lane.recovering = false;
          for (Pending w = lane.waiting.poll(); w != null; w = lane.waiting.poll()) {
            if (!w.result.isDone()) { // else timed out while waiting: never sent, and the caller was told
              send(key, lane, w, false, 1, done);
            }
          }
        }
        next(key, lane, done);
      }
    } finally {
      done.deliver();
    }
  }

  private void failed(String key, Lane lane, Pending p, boolean alone, int attempt, Throwable t) {
    Outcomes done = new Outcomes();
    try {
      synchronized (this) {
        lane.inClient--;
        lane.recovering = true;
        boolean cancelled = t instanceof CancellationException;
        if (alone && cancelled && !p.result.isDone() && attempt < MAX_SENDS) {
          // Never sent, and nothing else of the key was in the client: the earlier failure's late pause cancelled it.
          log.debug("Sending again a message for topic '{}' that the client cancelled for an earlier failure of its key (send {})",
              topic, attempt + 1);
          send(key, lane, p, true, attempt + 1, done);
          next(key, lane, done); // the resend may have failed at once
        } else {
          done.fail(p.result, failures.refused(t));
          if (!cancelled) { // a refusal: the key's messages waiting here were issued behind it
            for (Pending w = lane.waiting.poll(); w != null; w = lane.waiting.poll()) {
              done.fail(w.result, failures.behind(t));
            }
          }
          next(key, lane, done);
        }
      }
    } finally {
      done.deliver();
    }
  }

  /**
   * Sends the recovering key's next message once none of its earlier ones is in the client, or
   * flushes while one is (it may sit in a batch the client's alarm passed over); forgets idle keys.
   */
  private void next(String key, Lane lane, Outcomes done) {
    while (lane.recovering && lane.inClient == 0 && !lane.waiting.isEmpty()) {
      Pending p = lane.waiting.poll();
      if (!p.result.isDone()) {
        send(key, lane, p, true, 1, done);
      }
    }
    if (closed || lanes.get(key) != lane) {
      return;
    }
    if (lane.inClient > 0 || !lane.waiting.isEmpty()) {
      if (!lane.waiting.isEmpty()) {
        flush();
      }
      return;
    }
    if (!lane.recovering) {
      lanes.remove(key);
    } else if (lane.forget == null) {
      int generation = ++lane.forgets;
      try {
        lane.forget = scheduler.schedule(() -> forget(key, lane, generation), FORGET_AFTER.toMillis(), TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException e) { // the transport is closing
        lanes.remove(key);
      }
    }
  }

  /** Forgets an idle recovering key, unless a publish came since this forget was scheduled. */
  private synchronized void forget(String key, Lane lane, int generation) {
    if (lane.forget != null && lane.forgets == generation && !closed && lanes.get(key) == lane) {
      publisher.resumePublish(key); // in case the client paused the key after the last resume
      lanes.remove(key);
    }
  }

  private void flush() {
    try {
      publisher.publishAllOutstanding();
    } catch (RuntimeException e) { // shutting down: the client's shutdown sends or fails what it holds
      log.debug("Could not flush the Pub/Sub publisher of topic '{}': {}", topic, e.toString());
    }
  }

  /** One ordering key: how many of its messages the client holds, and those waiting here while it recovers. */
  private static final class Lane {
    int inClient;
    boolean recovering;
    final ArrayDeque<Pending> waiting = new ArrayDeque<>();
    ScheduledFuture<?> forget;
    int forgets; // counts scheduled forgets: a forget that waited for the lock knows whether it is still the current one
  }

  private record Pending(PubsubMessage message, CompletableFuture<Void> result) {}
}
