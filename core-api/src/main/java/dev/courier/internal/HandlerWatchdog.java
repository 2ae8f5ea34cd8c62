package dev.courier.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Interrupts handler calls that run past their timeout. Workers publish their deadline in a
 * volatile field; one daemon thread scans them every {@value #SCAN_MILLIS} ms. This keeps the hot
 * path to two volatile writes per call instead of scheduling a timer per message.
 */
public final class HandlerWatchdog implements AutoCloseable {
  static final long SCAN_MILLIS = 20;

  private final Set<Call> calls = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Thread thread;

  public HandlerWatchdog() {
    thread = new Thread(this::scan, "courier-handler-watchdog");
    thread.setDaemon(true);
    thread.start();
  }

  /** One worker thread's slot; reuse it for every call the thread makes. */
  public Call register(Thread worker) {
    Call c = new Call(worker);
    calls.add(c);
    return c;
  }

  public void unregister(Call call) {
    calls.remove(call);
  }

  private void scan() {
    while (!closed.get()) {
      long now = System.nanoTime();
      for (Call c : calls) {
        long deadline = c.deadline;
        if (deadline != 0 && now - deadline > 0 && !c.timedOut) {
          c.expire(now);
        }
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(SCAN_MILLIS));
    }
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      thread.interrupt();
    }
  }

  /** A worker's current handler call. */
  public static final class Call {
    private final Thread worker;
    private volatile long deadline;
    private volatile boolean timedOut;

    private Call(Thread worker) {
      this.worker = worker;
    }

    private volatile boolean stopping;

    public void start(long timeoutNanos) {
      timedOut = false;
      deadline = Math.max(1, System.nanoTime() + timeoutNanos);
    }

    /** The watchdog's side: interrupts only a call still running, never one that just ended. */
    private synchronized void expire(long now) {
      long d = deadline;
      if (d != 0 && now - d > 0 && !timedOut) {
        timedOut = true;
        worker.interrupt();
      }
    }

    /** Ends the call; true if it timed out (the thread's interrupt flag is then cleared). */
    public synchronized boolean end() {
      deadline = 0;
      if (timedOut) {
        Thread.interrupted();
        return true;
      }
      return false;
    }

    /** The subscription is closing: a failure from now on is the close's doing, not the message's. */
    public void stop() {
      stopping = true;
    }

    public boolean isStopping() {
      return stopping;
    }
  }
}
