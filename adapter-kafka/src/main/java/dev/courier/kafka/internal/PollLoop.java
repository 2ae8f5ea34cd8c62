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

/** A {@link KafkaReceiver}'s loop of rounds and synchronous commit; a {@link WakeupException} only ends a round. */
final class PollLoop {
  private PollLoop() {}

  /** Runs {@code round} until {@code stopped}, {@code afterRound} after each; a failure waits 0.1 s per failure in a row, at most 5 s. */
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

  /** Commits within {@code timeout} (again after a pending wake-up); whether the broker accepted it. */
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
