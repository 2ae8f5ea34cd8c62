package dev.courier.sqs.internal;

import dev.courier.PublishException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sends every publish in batch calls ({@code SendMessageBatch}, {@code PublishBatch}) of up to 10 entries (and at most the
 * queue's size limit in total) per topic, with up to {@value #FLUSHERS} calls in flight per topic (on a
 * FIFO topic one per lane of message groups, so that a group's batches reach it in publish order):
 * publishes that arrive while a call is running wait for the next one, so batches grow with load
 * and a lone publish goes out at once. Each future completes on SQS's answer for its own entry: a
 * refused entry fails alone, nothing is confirmed that SQS did not accept. On a FIFO topic, once an
 * entry failed, its group's entries still queued behind it fail too, unsent, with its cause: a retry
 * of the failed one would otherwise land after them. (Entries of its group in the same call that
 * SQS accepted are stored, and confirmed.)
 */
public final class SendBatcher {
  private static final int BATCH = 10;
  private static final int FLUSHERS = 4;

  /** One message waiting to be sent; {@code fifo} null for a topic that is not FIFO. */
  public record Pending(String messageId, WireFormat.Outgoing out, int delaySeconds, Fifo.Ids fifo,
      CompletableFuture<Void> future) {}

  private final class Lane {
    final String topic;
    final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
    final AtomicInteger flushers = new AtomicInteger();
    final int maxFlushers;

    Lane(String topic, boolean fifo) {
      this.topic = topic;
      this.maxFlushers = fifo ? 1 : FLUSHERS;
    }
  }

  private final Topology topology;
  private final Executor io;
  private final int maxBatchBytes;
  private final Map<String, Lane> lanes = new ConcurrentHashMap<>();

  public SendBatcher(Topology topology, Executor io, int maxBatchBytes) {
    this.topology = topology;
    this.io = io;
    this.maxBatchBytes = maxBatchBytes;
  }

  public void submit(String topic, Pending p) {
    // A FIFO topic's messages go through FLUSHERS lanes by group, one call in flight each: a group's
    // batches reach SQS in publish order, different groups' in parallel.
    String key = p.fifo() == null ? topic : topic + '\n' + Math.floorMod(p.fifo().groupId().hashCode(), FLUSHERS);
    Lane lane = lanes.computeIfAbsent(key, k -> new Lane(topic, p.fifo() != null));
    lane.queue.add(p);
    maybeStart(lane);
  }

  private void maybeStart(Lane lane) {
    while (!lane.queue.isEmpty()) {
      int n = lane.flushers.get();
      if (n >= lane.maxFlushers) {
        return;
      }
      if (lane.flushers.compareAndSet(n, n + 1)) {
        try {
          io.execute(() -> flush(lane));
        } catch (RuntimeException e) { // executor shut down: fail what waits
          lane.flushers.decrementAndGet();
          for (Pending p; (p = lane.queue.poll()) != null; ) {
            p.future.completeExceptionally(new PublishException("the SQS transport is closed", e));
          }
        }
        return;
      }
    }
  }

  private void flush(Lane lane) {
    Map<String, PublishException> failedGroups = new HashMap<>(); // FIFO groups with a failed entry
    try {
      while (true) {
        List<Pending> batch = new ArrayList<>(BATCH);
        long bytes = 0;
        for (Pending p; batch.size() < BATCH && (p = lane.queue.peek()) != null; ) {
          PublishException before = p.fifo == null ? null : failedGroups.get(p.fifo.groupId());
          if (before == null && !batch.isEmpty() && bytes + p.out.bytes() > maxBatchBytes) {
            break;
          }
          if (!lane.queue.remove(p)) {
            continue;
          }
          if (before != null) {
            p.future.completeExceptionally(new PublishException("message " + p.messageId + " for topic '"
                + lane.topic + "' was not sent: an earlier message of its key failed (" + before.getMessage() + ")",
                before));
          } else {
            batch.add(p);
            bytes += p.out.bytes();
          }
        }
        if (batch.isEmpty()) {
          if (lane.queue.isEmpty()) {
            return;
          }
          continue;
        }
        send(lane.topic, batch, failedGroups);
      }
    } finally {
      lane.flushers.decrementAndGet();
      maybeStart(lane);
    }
  }

  private void send(String topic, List<Pending> batch, Map<String, PublishException> failedGroups) {
    Map<Integer, PublishException> failed = new HashMap<>();
    try {
      topology.publish(topic, batch).forEach((i, reason) -> failed.put(i, new PublishException("the service"
          + " refused message " + batch.get(i).messageId + " for topic '" + topic + "': " + reason)));
    } catch (RuntimeException e) {
      for (int i = 0; i < batch.size(); i++) {
        failed.put(i, new PublishException("the service did not accept message " + batch.get(i).messageId
            + " for topic '" + topic + "': " + e.getMessage(), e));
      }
    }
    for (int i = 0; i < batch.size(); i++) {
      Pending p = batch.get(i);
      PublishException e = failed.get(i);
      if (e == null) {
        p.future.complete(null);
      } else {
        if (p.fifo != null) {
          failedGroups.putIfAbsent(p.fifo.groupId(), e);
        }
        p.future.completeExceptionally(e);
      }
    }
  }
}
