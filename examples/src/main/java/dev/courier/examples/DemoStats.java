package dev.courier.examples;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The demo's summary, read from the Micrometer registry that {@code CourierMetrics} fills: what
 * the reliability layer did, per group, as a service's dashboard would see it.
 */
final class DemoStats {
  enum Event {
    HANDLED("acked"), RETRIED("retried"), REDELIVERED("redelivered"), DEAD_LETTERED("dead_lettered"),
    DUPLICATE_SKIPPED("duplicate");

    final String outcome;

    Event(String outcome) {
      this.outcome = outcome;
    }
  }

  private final MeterRegistry registry;

  DemoStats(MeterRegistry registry) {
    this.registry = registry;
  }

  long get(String group, Event event) {
    double sum = 0;
    for (Counter c : registry.find("courier.delivery.outcomes").tag("messaging.consumer.group.name", group)
        .tag("courier.outcome", event.outcome).counters()) {
      sum += c.count();
    }
    return (long) sum;
  }

  /** Orders a group is done with: handled or dead-lettered. */
  long settled(String group) {
    return get(group, Event.HANDLED) + get(group, Event.DEAD_LETTERED);
  }
}
