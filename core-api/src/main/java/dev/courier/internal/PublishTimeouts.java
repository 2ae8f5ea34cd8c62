package dev.courier.internal;

import dev.courier.PublishException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * Fails publishes the broker has not confirmed within the publish timeout. The timeout is the same
 * for every publish of a Courier, so deadlines arrive in submission order: one FIFO queue and one
 * daemon thread checking its head replace a timer task per publish (a lock-free offer on the hot
 * path instead of a locked heap insert and removal).
 */
public final class PublishTimeouts implements AutoCloseable {
  private static final long MAX_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

  private final long timeoutNanos;
  private final Duration timeout;
  private final ConcurrentLinkedQueue<Pending> pending = new ConcurrentLinkedQueue<>();
  private final Thread sweeper;
  private volatile boolean closed;

  public PublishTimeouts(Duration timeout) {
    this.timeout = timeout;
    this.timeoutNanos = timeout.toNanos();
    this.sweeper = new Thread(this::sweep, "courier-publish-timeouts");
    sweeper.setDaemon(true);
    sweeper.start();
  }

  /**
   * Fails {@code result} with a {@link PublishException} if it is not complete within the timeout;
   * after {@link #close()}, at once (a publish racing close never stays pending).
   */
  public void watch(CompletableFuture<Void> result, String topic, String messageId) {
    pending.add(new Pending(System.nanoTime() + timeoutNanos, result, topic, messageId));
    if (closed) {
      failPending(); // close may have drained the queue before this entry arrived
    }
  }

  /**
   * Waits until every watched publish completed or {@code deadlineNanos} (a {@link System#nanoTime}
   * value) passed, then fails those still unconfirmed, saying the close timed out. Returns how many
   * it failed.
   */
  public int flush(long deadlineNanos) {
    List<CompletableFuture<Void>> outstanding = new ArrayList<>();
    for (Pending p : pending) {
      if (!p.result.isDone()) {
        outstanding.add(p.result);
      }
    }
    try {
      CompletableFuture.allOf(outstanding.toArray(CompletableFuture[]::new))
          .get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // failed ones are complete; unconfirmed ones are failed below
    }
    int failed = 0;
    for (Pending p; (p = pending.poll()) != null; ) {
      if (p.result.completeExceptionally(new PublishException("the Courier's close timed out after " + timeout
          + " (courier.publish-timeout) before the broker confirmed message " + p.messageId + " on '" + p.topic
          + "'; it may or may not have been stored", new TimeoutException()))) {
        failed++;
      }
    }
    return failed;
  }

  private void sweep() {
    while (!closed) {
      Pending head = pending.peek();
      long now = System.nanoTime();
      if (head == null) {
        LockSupport.parkNanos(this, MAX_PARK_NANOS);
      } else if (head.result.isDone()) {
        pending.poll();
      } else if (now - head.deadline >= 0) {
        pending.poll();
        head.result.completeExceptionally(new PublishException("no confirmation for message "
            + head.messageId + " on '" + head.topic + "' within " + timeout
            + " (courier.publish-timeout); it may or may not have been stored",
            new TimeoutException()));
      } else {
        LockSupport.parkNanos(this, Math.min(MAX_PARK_NANOS, head.deadline - now));
      }
    }
  }

  /** Stops the thread; publishes still unconfirmed fail, since nobody would time them out. */
  @Override
  public void close() {
    closed = true;
    LockSupport.unpark(sweeper);
    failPending();
  }

  private void failPending() {
    for (Pending p; (p = pending.poll()) != null; ) {
      p.result.completeExceptionally(new PublishException("Courier closed before the broker confirmed message "
          + p.messageId + " on '" + p.topic + "'; it may or may not have been stored"));
    }
  }

  private record Pending(long deadline, CompletableFuture<Void> result, String topic, String messageId) {}
}
