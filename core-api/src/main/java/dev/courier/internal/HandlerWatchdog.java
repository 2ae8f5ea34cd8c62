package dev.courier.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Interrupts handler calls that run past their timeout, and reports calls that are still running
 * a grace period after that interrupt (they ignored it) as stuck. Workers publish their deadline
 * in a volatile field; one daemon thread scans them every {@value #SCAN_MILLIS} ms. This keeps the
 * hot path to a few field writes per call instead of scheduling a timer per message.
 */
public final class HandlerWatchdog implements AutoCloseable {
  static final long SCAN_MILLIS = 20;
  private static final Logger log = LoggerFactory.getLogger(HandlerWatchdog.class);

  private final Set<Call> calls = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Thread thread;

  public HandlerWatchdog() {
    thread = new Thread(this::scan, "courier-handler-watchdog");
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Told that a call ignored its timeout's interrupt for the grace period. Runs on the watchdog's
   * thread while holding the call's lock, so the call's {@link Call#end()} returns only after it;
   * must be quick and must not throw.
   *
   * @param settle what the call's owner gave {@link Call#start} to settle its delivery without it
   * @param runningNanos how long the call has been running
   */
  public interface StuckCallHandler {
    void stuck(Call call, Runnable settle, long runningNanos);
  }

  /**
   * One worker thread's slot; reuse it for every call the thread makes. A call still running
   * {@code graceNanos} after its timeout's interrupt is abandoned and handed to {@code onStuck}.
   */
  public Call register(Thread worker, long graceNanos, StuckCallHandler onStuck) {
    Call c = new Call(worker, graceNanos, onStuck);
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
        if (deadline == 0 || now - deadline <= 0) {
          continue;
        }
        if (!c.timedOut) {
          c.expire(now);
        } else if (!c.abandoned) {
          c.abandonIfStuck(now);
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
    private final long graceNanos;
    private final StuckCallHandler onStuck;
    private volatile long deadline;
    private volatile boolean timedOut;
    private volatile boolean abandoned;
    private volatile boolean stopping;
    // Written before the volatile deadline that publishes them; read by the watchdog after it.
    private long started;
    private Runnable settle;
    private long timedOutAt; // guarded by this

    private Call(Thread worker, long graceNanos, StuckCallHandler onStuck) {
      this.worker = worker;
      this.graceNanos = graceNanos;
      this.onStuck = onStuck;
    }

    /**
     * Starts a call. {@code settle} settles the call's delivery as a failure in its owner's place
     * if the call is abandoned; it runs on another thread, at most once.
     */
    public void start(long timeoutNanos, Runnable settle) {
      this.settle = settle;
      timedOut = false;
      started = System.nanoTime();
      deadline = Math.max(1, started + timeoutNanos);
    }

    /** The watchdog's side: interrupts only a call still running, never one that just ended. */
    private synchronized void expire(long now) {
      long d = deadline;
      if (d != 0 && now - d > 0 && !timedOut) {
        timedOut = true;
        timedOutAt = now;
        worker.interrupt();
      }
    }

    private synchronized void abandonIfStuck(long now) {
      if (deadline == 0 || !timedOut || abandoned || now - timedOutAt <= graceNanos) {
        return;
      }
      abandoned = true;
      Runnable s = settle;
      settle = null;
      try {
        onStuck.stuck(this, s, now - started);
      } catch (RuntimeException | Error e) {
        log.error("handling the stuck handler thread {} failed", worker.getName(), e);
      }
    }

    /**
     * Ends the call; true if it timed out (the thread's interrupt flag is then cleared). After it
     * returns, {@link #isAbandoned()} says for good whether the call was abandoned.
     */
    public synchronized boolean end() {
      deadline = 0;
      settle = null;
      if (timedOut) {
        Thread.interrupted();
        return true;
      }
      return false;
    }

    /** How long the current call has been running; 0 between calls. */
    public long runningNanos() {
      long d = deadline; // read first: publishes started
      return d == 0 ? 0 : System.nanoTime() - started;
    }

    /**
     * The call ignored its timeout for the grace period and was given up on: its delivery was
     * settled in its place, its result counts for nothing, and its thread must exit.
     */
    public boolean isAbandoned() {
      return abandoned;
    }

    public Thread worker() {
      return worker;
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
