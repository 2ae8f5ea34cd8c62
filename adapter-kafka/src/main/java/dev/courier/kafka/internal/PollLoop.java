package dev.courier.kafka.internal;

import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.ObjIntConsumer;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;

/**
 * A {@link KafkaReceiver}'s poll loop: the loop of rounds and the synchronous commit. A {@link WakeupException} (another thread called
 * {@code consumer.wakeup()}) only ends the round or, in a commit, asks for it once more.
 */
final class PollLoop {
  private PollLoop() {}

  /**
   * Runs {@code round} until {@code stopped}; a failed round is reported to {@code failed} with
   * the number of failures in a row and retried after 0.1 s per failure, at most 5 s.
   * {@code afterRound} runs after every round, failed or not.
   */
  static void run(BooleanSupplier stopped, Runnable round, ObjIntConsumer<RuntimeException> failed,
      Runnable afterRound) {
    int failures = 0;
    while (!stopped.getAsBoolean()) {
      try {
        round.run();
        failures = 0;
      } catch (WakeupException e) {
        // woken up (capacity came back, a release, close): go round
      } catch (RuntimeException e) {
        failures++;
        failed.accept(e, failures);
        sleep(Math.min(5_000, 100L * failures));
      } finally {
        afterRound.run();
      }
    }
  }

  /**
   * Commits {@code offsets} within {@code timeout}, once more after a pending wake-up. Returns
   * whether the broker accepted them; on a failure {@code failed} is told (and the records after
   * the last commit are read again by the group).
   */
  static boolean commitSync(KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, OffsetAndMetadata> offsets,
      Duration timeout, Consumer<RuntimeException> failed) {
    for (int attempt = 0; attempt < 2; attempt++) {
      try {
        consumer.commitSync(offsets, timeout);
        return true;
      } catch (WakeupException e) {
        // a pending wake-up, not a failure: commit again
      } catch (RuntimeException e) {
        failed.accept(e);
        return false;
      }
    }
    return false;
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
