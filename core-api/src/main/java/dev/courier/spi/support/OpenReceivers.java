package dev.courier.spi.support;

import dev.courier.spi.Receiver;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A transport's open/closed state and the receivers it has open, so that {@code close()} closes
 * every receiver, including one a {@code receive} racing the close registers.
 *
 * <p>The contract: {@link #checkOpen()} throws the adapter's own exception once {@link #close()}
 * began. {@link #add} registers a receiver and then re-checks: if the transport closed meanwhile,
 * the close may have gone through the receivers before this one, so {@code add} removes and closes
 * it itself and throws as {@link #checkOpen()} does. Either way no receiver {@code add} accepted
 * outlives the close (one may be closed twice, by both sides: receivers' close is idempotent).
 * {@link #close()} marks the state closed once and closes every registered receiver, logging a
 * failure and going on to the next. Receivers stay registered until {@link #remove}d (usually by
 * their own close), so an adapter can still wait for them after closing ({@link #snapshot()}).
 * Thread-safe.
 *
 * @param <R> the adapter's receiver type
 */
public final class OpenReceivers<R extends Receiver> {
  private static final Logger log = LoggerFactory.getLogger(OpenReceivers.class);

  private final Set<R> receivers = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Supplier<? extends RuntimeException> whenClosed;

  /** @param whenClosed makes the exception {@link #checkOpen()} and {@link #add} throw once closed */
  public OpenReceivers(Supplier<? extends RuntimeException> whenClosed) {
    this.whenClosed = Objects.requireNonNull(whenClosed, "whenClosed");
  }

  /** Whether {@link #close()} began. */
  public boolean isClosed() {
    return closed.get();
  }

  /** Throws the adapter's exception if {@link #close()} began. */
  public void checkOpen() {
    if (closed.get()) {
      throw whenClosed.get();
    }
  }

  /**
   * Registers {@code receiver}; if the transport closed meanwhile, removes and closes it and throws
   * the adapter's exception.
   */
  public R add(R receiver) {
    Objects.requireNonNull(receiver, "receiver");
    receivers.add(receiver);
    if (closed.get()) { // close() may have gone through the receivers before this one was added
      receivers.remove(receiver);
      closeQuietly(receiver);
      throw whenClosed.get();
    }
    return receiver;
  }

  /** Forgets {@code receiver} (closed by its owner); no-op if it is not registered. */
  public void remove(R receiver) {
    receivers.remove(receiver);
  }

  /** Forgets the receivers {@code filter} accepts, e.g. closed ones whose threads have ended. */
  public void removeIf(Predicate<? super R> filter) {
    receivers.removeIf(filter);
  }

  /** The receivers registered now, closed or not, in no particular order. */
  public List<R> snapshot() {
    return List.copyOf(receivers);
  }

  /**
   * Marks the transport closed and closes every registered receiver, logging (not throwing) a
   * receiver's failure to close. Only the first call does anything.
   *
   * @return whether this call closed it: the caller goes on to release the rest of the transport
   */
  public boolean close() {
    if (!closed.compareAndSet(false, true)) {
      return false;
    }
    for (R r : snapshot()) {
      closeQuietly(r);
    }
    return true;
  }

  private static void closeQuietly(Receiver r) {
    try {
      r.close();
    } catch (RuntimeException e) {
      log.warn("closing {} failed", r, e);
    }
  }
}
