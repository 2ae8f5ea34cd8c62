package dev.courier.inmemory.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.courier.CourierListener;
import dev.courier.Delivery;
import dev.courier.testsupport.Poll;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Records every reliability event as "event:attempt:failure class", and counts starts against
 * terminal events, so each test can check that every started delivery ended exactly once.
 */
final class RecordingListener implements CourierListener {
  final List<String> events = new CopyOnWriteArrayList<>();
  final List<Duration> backoffs = new CopyOnWriteArrayList<>();
  final AtomicInteger started = new AtomicInteger();
  final AtomicInteger terminal = new AtomicInteger();
  final List<String> released = new CopyOnWriteArrayList<>();

  /** Every delivery the core started has had exactly one terminal event (call once closed). */
  void assertBalanced() throws InterruptedException {
    // A handler that outlived its drain timeout settles after close returned: wait for it.
    Poll.await(() -> started.get() <= terminal.get(), "every started delivery has ended");
    assertEquals(started.get(), terminal.get(),
        "started deliveries vs terminal events (acked, redelivered, deadLettered, duplicateSkipped, released "
            + released + "); events " + events);
  }

  long count(String event) {
    return events.stream().filter(e -> e.startsWith(event + ":")).count();
  }

  @Override
  public void publishFailed(String topic, dev.courier.Message message, Throwable failure) {
    events.add("publishFailed:" + message.id() + ":" + failure.getClass().getSimpleName());
  }

  @Override
  public void started(Delivery d) {
    started.incrementAndGet();
  }

  @Override
  public void released(Delivery d, Release reason) {
    terminal.incrementAndGet();
    released.add(reason + ":" + d.attempt());
  }

  @Override
  public void delivered(Delivery d) {
    events.add("delivered:" + d.attempt());
  }

  @Override
  public void acked(Delivery d, Duration handlerTime) {
    terminal.incrementAndGet();
    events.add("acked:" + d.attempt());
  }

  @Override
  public void retried(Delivery d, Throwable failure, Duration backoff) {
    backoffs.add(backoff);
    events.add("retried:" + d.attempt() + ":" + failure.getClass().getSimpleName());
  }

  @Override
  public void redelivered(Delivery d, Throwable failure, Duration delay) {
    terminal.incrementAndGet();
    events.add("redelivered:" + d.attempt() + ":" + failure.getClass().getSimpleName());
  }

  @Override
  public void deadLettered(Delivery d, Throwable failure, String deadLetterTopic) {
    terminal.incrementAndGet();
    events.add("deadLettered:" + d.attempt() + ":" + failure.getClass().getSimpleName());
  }

  @Override
  public void duplicateSkipped(Delivery d) {
    terminal.incrementAndGet();
    events.add("duplicateSkipped:" + d.attempt());
  }
}
