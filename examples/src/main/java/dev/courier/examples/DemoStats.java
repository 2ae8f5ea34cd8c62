package dev.courier.examples;

import dev.courier.CourierListener;
import dev.courier.Delivery;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Counts what the reliability layer did, per group: the demo's summary comes from here. */
final class DemoStats implements CourierListener {
  enum Event { HANDLED, RETRIED, REDELIVERED, DEAD_LETTERED, DUPLICATE_SKIPPED }

  private final Map<String, Map<Event, LongAdder>> counts = new ConcurrentHashMap<>();

  long get(String group, Event event) {
    Map<Event, LongAdder> byEvent = counts.get(group);
    LongAdder a = byEvent == null ? null : byEvent.get(event);
    return a == null ? 0 : a.sum();
  }

  /** Orders a group is done with: handled or dead-lettered. */
  long settled(String group) {
    return get(group, Event.HANDLED) + get(group, Event.DEAD_LETTERED);
  }

  private void count(Delivery d, Event event) {
    counts.computeIfAbsent(d.group(), g -> new ConcurrentHashMap<>())
        .computeIfAbsent(event, e -> new LongAdder())
        .increment();
  }

  @Override
  public void acked(Delivery delivery, Duration handlerTime) {
    count(delivery, Event.HANDLED);
  }

  @Override
  public void retried(Delivery delivery, Throwable failure, Duration backoff) {
    count(delivery, Event.RETRIED);
  }

  @Override
  public void redelivered(Delivery delivery, Throwable failure, Duration delay) {
    count(delivery, Event.REDELIVERED);
  }

  @Override
  public void deadLettered(Delivery delivery, Throwable failure, String deadLetterTopic) {
    count(delivery, Event.DEAD_LETTERED);
  }

  @Override
  public void duplicateSkipped(Delivery delivery) {
    count(delivery, Event.DUPLICATE_SKIPPED);
  }
}
