package dev.courier.pubsub.internal;

import com.google.api.core.ApiFuture;
import com.google.api.core.ApiFutures;
import com.google.api.core.ApiFutureCallback;
import com.google.cloud.pubsub.v1.stub.SubscriberStub;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.protobuf.Empty;
import com.google.pubsub.v1.AcknowledgeRequest;
import com.google.pubsub.v1.ModifyAckDeadlineRequest;
import dev.courier.spi.support.RateLimitedLog;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends one subscription's acknowledgements in batches (flushed a few milliseconds after the first
 * one queued, or at once when a batch is full) and its ack-deadline changes as they come, without
 * blocking the caller. A failed call is logged (rate-limited): the message then simply comes back
 * when its deadline passes, which at-least-once delivery allows.
 */
final class AckSender {
  private static final Logger log = LoggerFactory.getLogger(AckSender.class);
  private static final int MAX_BATCH = 1000;
  private static final long FLUSH_DELAY_MS = 5;

  private final SubscriberStub stub;
  private final String subscription;
  private final ScheduledExecutorService scheduler;
  private final ConcurrentLinkedQueue<Ack> acks = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean flushScheduled = new AtomicBoolean();
  private final RateLimitedLog rateLimited = new RateLimitedLog(Duration.ofMinutes(1));

  AckSender(SubscriberStub stub, String subscription, ScheduledExecutorService scheduler) {
    this.stub = stub;
    this.subscription = subscription;
    this.scheduler = scheduler;
  }

  private record Ack(String ackId, Runnable onAcked) {}

  /** Queues an acknowledgement; {@code onAcked} runs once Pub/Sub confirmed it (not if it failed). */
  void ack(String ackId, Runnable onAcked) {
    acks.add(new Ack(ackId, onAcked));
    if (flushScheduled.compareAndSet(false, true)) {
      try {
        scheduler.schedule(this::flush, FLUSH_DELAY_MS, TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException e) { // the transport is closing: send it from here
        flush();
      }
    }
  }

  /** Sends every queued ack; returns the calls made. */
  List<ApiFuture<Empty>> flush() {
    flushScheduled.set(false);
    List<ApiFuture<Empty>> calls = new ArrayList<>();
    List<Ack> batch = new ArrayList<>();
    for (Ack a; (a = acks.poll()) != null; ) {
      batch.add(a);
      if (batch.size() == MAX_BATCH) {
        calls.add(send(batch));
        batch = new ArrayList<>();
      }
    }
    if (!batch.isEmpty()) {
      calls.add(send(batch));
    }
    return calls;
  }

  private ApiFuture<Empty> send(List<Ack> batch) {
    AcknowledgeRequest.Builder request = AcknowledgeRequest.newBuilder().setSubscription(subscription);
    for (Ack a : batch) {
      request.addAckIds(a.ackId());
    }
    ApiFuture<Empty> call = logged(stub.acknowledgeCallable().futureCall(request.build()), "acknowledge");
    ApiFutures.addCallback(call, new ApiFutureCallback<>() {
      @Override
      public void onSuccess(Empty result) {
        for (Ack a : batch) {
          a.onAcked().run();
        }
      }

      @Override
      public void onFailure(Throwable t) {
        // logged; the messages come back and their hand-backs stay counted
      }
    }, MoreExecutors.directExecutor());
    return call;
  }

  /** Sets the ack deadline of {@code ackIds} to {@code seconds} (0: redeliver now). */
  List<ApiFuture<Empty>> modify(Collection<String> ackIds, int seconds) {
    List<ApiFuture<Empty>> calls = new ArrayList<>();
    List<String> batch = new ArrayList<>();
    for (String id : ackIds) {
      batch.add(id);
      if (batch.size() == MAX_BATCH) {
        calls.add(modifyBatch(batch, seconds));
        batch = new ArrayList<>();
      }
    }
    if (!batch.isEmpty()) {
      calls.add(modifyBatch(batch, seconds));
    }
    return calls;
  }

  private ApiFuture<Empty> modifyBatch(List<String> ackIds, int seconds) {
    return logged(stub.modifyAckDeadlineCallable().futureCall(ModifyAckDeadlineRequest.newBuilder()
        .setSubscription(subscription).addAllAckIds(ackIds).setAckDeadlineSeconds(seconds).build()),
        "modifyAckDeadline");
  }

  private ApiFuture<Empty> logged(ApiFuture<Empty> call, String what) {
    ApiFutures.addCallback(call, new ApiFutureCallback<>() {
      @Override
      public void onSuccess(Empty result) {}

      @Override
      public void onFailure(Throwable t) {
        long suppressed = rateLimited.admit(what);
        if (suppressed != RateLimitedLog.SUPPRESSED) {
          log.warn("Pub/Sub {} on {} failed ({} similar failures not logged): {}; the messages come back when their"
              + " deadline passes", what, subscription, suppressed, Publishers.describe(t));
        }
      }
    }, MoreExecutors.directExecutor());
    return call;
  }

  /** Waits up to {@code timeout} for {@code calls}. */
  static void await(List<ApiFuture<Empty>> calls, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (ApiFuture<Empty> c : calls) {
      try {
        c.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (Exception e) {
        // logged by the callback
      }
    }
  }
}
