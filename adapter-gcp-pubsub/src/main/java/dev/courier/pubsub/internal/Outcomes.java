package dev.courier.pubsub.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Publish outcomes decided under a lock and delivered once it is released: completing a future runs
 * its dependents inline, and an application callback may publish again or block, which it must not
 * do holding the lock. Delivered in the order decided. Not thread-safe: one per locked section.
 */
final class Outcomes {
  /** The completions decided, in order; null until the first (most sections decide none). */
  private List<Runnable> decided;

  void confirm(CompletableFuture<Void> f) {
    add(() -> f.complete(null));
  }

  void fail(CompletableFuture<Void> f, Throwable t) {
    add(() -> f.completeExceptionally(t));
  }

  private void add(Runnable completion) {
    if (decided == null) {
      decided = new ArrayList<>(2);
    }
    decided.add(completion);
  }

  /** Completes the futures; call without holding the lock under which they were decided. */
  void deliver() {
    if (decided != null) {
      decided.forEach(Runnable::run);
    }
  }
}
