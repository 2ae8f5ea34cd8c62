package dev.courier.inmemory;

import dev.courier.spi.DeliverySink;
import dev.courier.spi.ReceiveSpec;
import dev.courier.spi.Receiver;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/** A consumer of one group; pushes deliveries to the sink while it has credit. */
final class InMemoryReceiver implements Receiver {
  private final GroupQueue queue;
  private final Consumer<InMemoryReceiver> onClose;
  private final AtomicBoolean closed = new AtomicBoolean();
  private GroupQueue.Consumer consumer;

  InMemoryReceiver(GroupQueue queue, Consumer<InMemoryReceiver> onClose) {
    this.queue = queue;
    this.onClose = onClose;
  }

  void start(ReceiveSpec spec, DeliverySink sink) {
    consumer = queue.addConsumer(spec.maxInFlight(), spec.orderedByKey(), sink);
  }

  @Override
  public void stopFetching() {
    queue.stopFetching(consumer);
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      queue.removeConsumer(consumer);
      onClose.accept(this);
    }
  }
}
