package dev.courier.internal;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** How a subscription's handler threads are made, and how they wait for the next delivery. */
final class HandlerThreads {
  private static final Logger log = LoggerFactory.getLogger(HandlerThreads.class);
  private static final long IDLE_SPIN_NANOS = 20_000;

  private final ThreadFactory factory; // null: Courier's own daemon threads, named after the subscription
  private final String name;
  private final String threadPrefix;

  HandlerThreads(ThreadFactory factory, String topic, String group) {
    this.factory = factory;
    this.name = topic + "/" + group;
    this.threadPrefix = "courier-" + topic + "-" + group + "-";
  }

  /**
   * A thread from the application's factory; Courier's own if there is none, or it refuses (null)
   * or throws: a handler slot must never be lost for it, or a stuck handler's delivery would never
   * be settled.
   */
  Thread newThread(Runnable body, String suffix) {
    if (factory != null) {
      try {
        Thread made = factory.newThread(body);
        if (made != null) {
          return made;
        }
        log.warn("the handler ThreadFactory of {} returned no thread; using Courier's own", name);
      } catch (RuntimeException e) {
        log.warn("the handler ThreadFactory of {} failed; using Courier's own", name, e);
      }
    }
    Thread t = new Thread(body, threadPrefix + suffix);
    t.setDaemon(true);
    return t;
  }

  /**
   * The next element; before parking on an empty queue, spins for up to {@value #IDLE_SPIN_NANOS} ns:
   * under a steady stream the next delivery usually comes meanwhile, which saves the publisher
   * waking this thread (a system call) and this thread a context switch (and, on a busy machine,
   * the wait for a processor) for every few messages. Polls between short spins, so the hand-off
   * lock is not hammered.
   */
  static <T> T next(BlockingQueue<T> queue) throws InterruptedException {
    T d = queue.poll();
    if (d == null) {
      long deadline = System.nanoTime() + IDLE_SPIN_NANOS;
      do {
        for (int i = 0; i < 32; i++) {
          Thread.onSpinWait();
        }
        d = queue.poll();
      } while (d == null && System.nanoTime() - deadline < 0);
    }
    return d != null ? d : queue.take();
  }
}
