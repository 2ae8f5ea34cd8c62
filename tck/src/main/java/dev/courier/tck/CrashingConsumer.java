package dev.courier.tck;

import java.util.Set;

/**
 * A consumer of one group, started for the real-crash rule, whose handlers never finish: every
 * delivery it takes stays unsettled until it is killed.
 */
public interface CrashingConsumer {
  /** Ids of the messages whose handlers have started in it so far. */
  Set<String> started();

  /**
   * Ends the consumer abruptly, as a crash or a {@code kill -9} would: nothing is closed, settled or
   * handed back by Courier. Returns once it is gone.
   */
  void kill();
}
