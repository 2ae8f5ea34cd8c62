package dev.courier.rabbitmq.internal;

import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs each task on the thread that submits it. Given to the consuming connection as its consumer
 * executor, it makes the client call consumers on the connection's own reader thread instead of
 * handing every delivery to a pool thread first: the core hands each delivery to a handler thread
 * anyway, so the client's hop was a second one per message. What runs there must never wait on the
 * consuming connection (an RPC's reply is read by that very thread): the receiver's consumer only
 * maps the delivery and passes it to the sink, whose contract is to return quickly.
 */
public final class InlineExecutorService extends AbstractExecutorService {
  private volatile boolean shutdown;

  @Override
  public void execute(Runnable task) {
    task.run();
  }

  @Override
  public void shutdown() {
    shutdown = true;
  }

  @Override
  public List<Runnable> shutdownNow() {
    shutdown = true;
    return List.of();
  }

  @Override
  public boolean isShutdown() {
    return shutdown;
  }

  @Override
  public boolean isTerminated() {
    return shutdown;
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) {
    return shutdown;
  }
}
