package dev.courier.tck.spi;

import static org.junit.jupiter.api.Assertions.fail;

import dev.courier.spi.DeliverySink;
import dev.courier.spi.TransportDelivery;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** What one receiver handed to its sink, in order, for the kit's rules to take. */
final class KitInbox implements DeliverySink {
  private final LinkedBlockingQueue<TransportDelivery> queue = new LinkedBlockingQueue<>();
  private final String rule;
  private final Duration patience;

  KitInbox(String rule, Duration patience) {
    this.rule = rule;
    this.patience = patience;
  }

  @Override
  public void accept(TransportDelivery delivery) {
    queue.add(delivery);
  }

  /** The next delivery; fails the rule, saying what was expected, if none arrives in time. */
  TransportDelivery take(String what) throws InterruptedException {
    TransportDelivery d = queue.poll(patience.toMillis(), TimeUnit.MILLISECONDS);
    if (d == null) {
      fail(rule + ": " + what + " did not arrive within " + patience.toSeconds() + " s");
    }
    return d;
  }

  List<TransportDelivery> take(int n, String what) throws InterruptedException {
    List<TransportDelivery> got = new ArrayList<>();
    while (got.size() < n) {
      got.add(take(what + " (" + got.size() + " of " + n + " arrived)"));
    }
    return got;
  }

  /** The next delivery within {@code quiet}, or null: for checking that nothing more comes. */
  TransportDelivery poll(Duration quiet) throws InterruptedException {
    return queue.poll(quiet.toMillis(), TimeUnit.MILLISECONDS);
  }
}
