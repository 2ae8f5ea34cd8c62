package dev.courier.bench;

import dev.courier.bench.driver.Endpoint;
import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.Consumer;

/**
 * The ceiling for the in-memory broker: the same messages handed from the publishing thread to one
 * consumer thread through a bounded {@link ArrayBlockingQueue}, "confirmed" once queued. No
 * groups, acks, redelivery or per-key order: only the hand-off every in-process pipeline pays.
 */
final class JdkHandoff implements Endpoint {
  private static final byte[] STOP = new byte[0];
  private final int capacity;
  private BlockingQueue<byte[]> queue;

  JdkHandoff(int capacity) {
    this.capacity = capacity;
  }

  @Override
  public String create(boolean consumed) {
    queue = new ArrayBlockingQueue<>(capacity);
    return "handoff";
  }

  @Override
  public void publish(String destination, int index, byte[] payload, Confirm confirm) throws InterruptedException {
    queue.put(payload);
    confirm.done(null);
  }

  @Override
  public AutoCloseable consume(String destination, Consumer<ByteBuffer> handler) {
    BlockingQueue<byte[]> q = queue;
    Thread consumer = new Thread(() -> {
      try {
        for (byte[] m; (m = q.take()) != STOP; ) {
          handler.accept(ByteBuffer.wrap(m));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "jdk-handoff-consumer");
    consumer.start();
    return () -> {
      q.put(STOP);
      consumer.join();
    };
  }
}
