package dev.courier.sqs.internal;

import dev.courier.spi.support.RateLimitedLog;
import dev.courier.spi.support.Threads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.BatchResultErrorEntry;
import software.amazon.awssdk.services.sqs.model.ChangeMessageVisibilityBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;

/**
 * Deletes and visibility changes, sent in batches of up to 10 per queue by a few threads; the ops of
 * one receipt handle all go through one thread, in order, the last one of a drain winning. A failed
 * delete is retried twice, then logged: the message comes back after its visibility timeout, a
 * duplicate, never a loss. A failed visibility change lets the lease run out (the SPI's rule).
 */
public final class Settler implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Settler.class);
  private static final int BATCH = 10;
  private static final int DELETE_TRIES = 3;
  private static final int THREADS = 4;

  private enum Kind { DELETE, VISIBILITY }

  /** {@code deleted}: run once SQS confirmed a delete (null for none). */
  private record Op(Kind kind, String queueUrl, String receipt, int seconds, int tries, Runnable deleted) {}

  private final SqsClient sqs;
  private final List<LinkedBlockingQueue<Op>> lanes = new ArrayList<>();
  private final AtomicInteger pending = new AtomicInteger();
  private final RateLimitedLog limiter = new RateLimitedLog(Duration.ofSeconds(30));
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean closed;

  public Settler(SqsClient sqs, String name) {
    this.sqs = sqs;
    for (int i = 0; i < THREADS; i++) {
      LinkedBlockingQueue<Op> lane = new LinkedBlockingQueue<>();
      lanes.add(lane);
      threads.add(Threads.thread(name + "-" + (i + 1), true, () -> run(lane)));
    }
    threads.forEach(Thread::start);
  }

  public void delete(String queueUrl, String receipt) {
    delete(queueUrl, receipt, null);
  }

  /** Deletes, and runs {@code deleted} (on a settler thread) once SQS confirmed it, if it does. */
  public void delete(String queueUrl, String receipt, Runnable deleted) {
    add(new Op(Kind.DELETE, queueUrl, receipt, 0, 0, deleted));
  }

  public void changeVisibility(String queueUrl, String receipt, int seconds) {
    add(new Op(Kind.VISIBILITY, queueUrl, receipt, seconds, 0, null));
  }

  /** Every op of one receipt goes to the same thread, so they reach SQS in the order they were made. */
  private void add(Op op) {
    pending.incrementAndGet();
    lanes.get(Math.floorMod(op.receipt.hashCode(), THREADS)).add(op);
  }

  /** Waits until everything queued so far was sent, at most {@code timeout}. */
  public void flush(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (pending.get() > 0 && System.nanoTime() - deadline < 0) {
      synchronized (pending) {
        try {
          pending.wait(20);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  private void run(LinkedBlockingQueue<Op> ops) {
    List<Op> taken = new ArrayList<>();
    while (!closed || !ops.isEmpty()) {
      try {
        Op first = ops.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        taken.add(first);
        ops.drainTo(taken, 99);
        Map<String, List<Op>> byQueue = new LinkedHashMap<>();
        for (Op op : lastPerReceipt(taken)) {
          byQueue.computeIfAbsent(op.kind + " " + op.queueUrl, k -> new ArrayList<>()).add(op);
        }
        for (List<Op> group : byQueue.values()) {
          for (int i = 0; i < group.size(); i += BATCH) {
            send(group.subList(i, Math.min(group.size(), i + BATCH)));
          }
        }
      } catch (InterruptedException e) {
        if (closed) {
          break;
        }
      } catch (RuntimeException e) {
        log.warn("settling SQS messages failed: {}", e.toString());
      } finally {
        pending.addAndGet(-taken.size());
        taken.clear();
        synchronized (pending) {
          pending.notifyAll();
        }
      }
    }
  }

  /**
   * The last op of each receipt among {@code taken} (one batch would carry them in no defined order);
   * a delete is kept over any later visibility change, which could only fail on a deleted message.
   */
  private static java.util.Collection<Op> lastPerReceipt(List<Op> taken) {
    Map<String, Op> last = new LinkedHashMap<>();
    for (Op op : taken) {
      last.merge(op.queueUrl + "\n" + op.receipt, op, (before, now) -> before.kind == Kind.DELETE ? before : now);
    }
    return last.values();
  }

  private void send(List<Op> batch) {
    Op head = batch.get(0);
    List<BatchResultErrorEntry> failed;
    try {
      if (head.kind == Kind.DELETE) {
        List<DeleteMessageBatchRequestEntry> entries = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
          entries.add(DeleteMessageBatchRequestEntry.builder().id(Integer.toString(i))
              .receiptHandle(batch.get(i).receipt).build());
        }
        failed = sqs.deleteMessageBatch(r -> r.queueUrl(head.queueUrl).entries(entries)).failed();
      } else {
        List<ChangeMessageVisibilityBatchRequestEntry> entries = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
          entries.add(ChangeMessageVisibilityBatchRequestEntry.builder().id(Integer.toString(i))
              .receiptHandle(batch.get(i).receipt).visibilityTimeout(batch.get(i).seconds).build());
        }
        failed = sqs.changeMessageVisibilityBatch(r -> r.queueUrl(head.queueUrl).entries(entries)).failed();
      }
    } catch (RuntimeException e) {
      batch.forEach(op -> failed(op, e.toString()));
      return;
    }
    java.util.Set<Integer> refused = new java.util.HashSet<>();
    for (BatchResultErrorEntry f : failed) {
      refused.add(Integer.parseInt(f.id()));
      failed(batch.get(Integer.parseInt(f.id())), f.code() + ": " + f.message());
    }
    for (int i = 0; i < batch.size(); i++) {
      if (batch.get(i).deleted != null && !refused.contains(i)) {
        batch.get(i).deleted.run();
      }
    }
  }

  private void failed(Op op, String reason) {
    if (op.kind == Kind.DELETE && op.tries + 1 < DELETE_TRIES && !closed) {
      add(new Op(op.kind, op.queueUrl, op.receipt, op.seconds, op.tries + 1, op.deleted));
      return;
    }
    long suppressed = limiter.admit(op.kind);
    if (suppressed != RateLimitedLog.SUPPRESSED) {
      if (op.kind == Kind.DELETE) {
        log.warn("could not delete an SQS message after {} tries ({}); it will be delivered again{}", DELETE_TRIES,
            reason, RateLimitedLog.more(suppressed, "failed deletes"));
      } else {
        log.debug("could not change an SQS message's visibility ({}){}", reason,
            RateLimitedLog.more(suppressed, "failures"));
      }
    }
  }

  @Override
  public void close() {
    flush(Duration.ofSeconds(10));
    closed = true;
    threads.forEach(Thread::interrupt);
    for (Thread t : threads) {
      try {
        t.join(TimeUnit.SECONDS.toMillis(5));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
