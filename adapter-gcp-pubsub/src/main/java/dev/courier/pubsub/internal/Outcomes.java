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
  private final List<CompletableFuture<Void>> futures = new ArrayList<>();
  private final List<Throwable> failures = new ArrayList<>(); // null: confirmed

  void confirm(CompletableFuture<Void> f) {
    futures.add(f);
    failures.add(null);
  }

  void fail(CompletableFuture<Void> f, Throwable t) {
    futures.add(f);
    failures.add(t);
  }

  /** Completes the futures; call without holding the lock under which they were decided. */
  void deliver() {
    for (int i = 0; i < futures.size(); i++) {
      Throwable t = failures.get(i);
      if (t == null) {
        futures.get(i).complete(null);
      } else {
        futures.get(i).completeExceptionally(t);
      }
    }
  }
}
