package dev.courier.inmemory.reliability;

import dev.courier.CourierListener;
import dev.courier.Delivery;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records every reliability event as "event:attempt:failure class". */
final class RecordingListener implements CourierListener {
  final List<String> events = new CopyOnWriteArrayList<>();
  final List<Duration> backoffs = new CopyOnWriteArrayList<>();

  long count(String event) {
    return events.stream().filter(e -> e.startsWith(event + ":")).count();
  }

  @Override
  public void delivered(Delivery d) {
    events.add("delivered:" + d.attempt());
  }

  @Override
  public void acked(Delivery d, Duration handlerTime) {
    events.add("acked:" + d.attempt());
  }

  @Override
  public void retried(Delivery d, Throwable failure, Duration backoff) {
    backoffs.add(backoff);
    events.add("retried:" + d.attempt() + ":" + failure.getClass().getSimpleName());
  }

  @Override
  public void redelivered(Delivery d, Throwable failure, Duration delay) {
    events.add("redelivered:" + d.attempt() + ":" + failure.getClass().getSimpleName());
  }

  @Override
  public void deadLettered(Delivery d, Throwable failure, String deadLetterTopic) {
    events.add("deadLettered:" + d.attempt() + ":" + failure.getClass().getSimpleName());
  }

  @Override
  public void duplicateSkipped(Delivery d) {
    events.add("duplicateSkipped:" + d.attempt());
  }
}
