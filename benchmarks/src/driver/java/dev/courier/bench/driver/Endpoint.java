package dev.courier.bench.driver;

import java.nio.ByteBuffer;
import java.util.function.Consumer;

/**
 * One side of a benchmark as {@link Workload} drives it: a messaging client (Courier, a raw client,
 * a peer framework) reduced to creating a destination, publishing with a confirmation callback and
 * consuming. Every side runs the same loops through this interface, so the loops cannot differ.
 * JDK types only: the peer's own process (its own class path) compiles this package too.
 */
public interface Endpoint extends AutoCloseable {
  /**
   * A destination for one phase, ready before the clock starts: with a consumer group when
   * {@code consumed} (end-to-end), with nobody consuming otherwise (publish-only; what it keeps is
   * the broker's usual storage for messages nobody reads yet).
   */
  String create(boolean consumed) throws Exception;

  /**
   * Publishes {@code payload} (the endpoint owns it from now on) asynchronously; {@code confirm}
   * runs once, when the broker confirmed it (null) or the publish failed (the failure). {@code index}
   * is the message's number in its phase, for sides that derive a key from it.
   */
  void publish(String destination, int index, byte[] payload, Confirm confirm) throws Exception;

  /**
   * Consumes {@code destination}'s group until the returned handle closes, handing each message's
   * payload (position at its first byte) to {@code handler}, then settling it the side's usual way
   * (an ack after the handler returned). Returns once the consumer is ready to receive.
   */
  AutoCloseable consume(String destination, Consumer<ByteBuffer> handler) throws Exception;

  /** Removes what a phase left on {@code destination} (outside the timed part); by default nothing. */
  default void discard(String destination) throws Exception {}

  @Override
  default void close() throws Exception {}

  /** The broker's answer to one publish. */
  @FunctionalInterface
  interface Confirm {
    /** {@code failure} is null when the broker confirmed the message. */
    void done(Throwable failure);
  }
}
