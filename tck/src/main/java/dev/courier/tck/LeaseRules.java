package dev.courier.tck;

import dev.courier.Courier;
import dev.courier.MessageHandler;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** TCK-12 leases: the rules of {@link CourierTck.Leases}. */
abstract class LeaseRules extends RuleGroup {
  LeaseRules(TckSupport tck) {
    super(tck);
  }

  @Test
  @DisplayName("TCK-12.1 a handler running three times the broker's lease is never overlapped by a second delivery of its message")
  void longHandlerKeepsItsLease() throws InterruptedException {
    Duration lease = lease();
    Duration work = lease.multipliedBy(3);
    String topic = name("lease");
    String group = name("g");
    courier().admin().ensureGroup(topic, group);
    AtomicInteger starts = new AtomicInteger();
    AtomicInteger overlapping = new AtomicInteger(-1);
    CountDownLatch firstEnded = new CountDownLatch(1);
    MessageHandler handler = d -> {
      if (starts.getAndIncrement() > 0) {
        return; // a second delivery: counted, and acked at once
      }
      long until = System.nanoTime() + work.toNanos();
      while (System.nanoTime() - until < 0) { // the handler's work: three leases long
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
      }
      overlapping.set(starts.get() - 1);
      firstEnded.countDown();
    };
    // Two competing consumers with free handler threads: a lapsed lease would start the message again.
    for (Courier c : List.of(courier(), newCourier())) {
      subscribe(c, options(topic, group).concurrency(2).handlerTimeout(work.multipliedBy(2).plusSeconds(10))
          .build(), handler);
    }
    publish(courier(), topic, messages("lease", 1));
    check(firstEnded.await(work.plus(patience()).toMillis(), TimeUnit.MILLISECONDS),
        "the handler did not finish within " + work.plus(patience()),
        "that the message is delivered and its handler runs to the end");
    check(overlapping.get() == 0, "the message was started " + overlapping.get() + " more time(s) while its first "
            + "handler ran " + work + " (the broker's lease is " + lease + ")",
        "that the adapter declares Capabilities.leaseRenewalInterval() well under its lease and that "
            + "TransportDelivery.extendLease() pushes the broker's lease back");
  }
}
