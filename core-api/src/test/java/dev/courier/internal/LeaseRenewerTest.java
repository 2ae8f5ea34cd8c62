package dev.courier.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.Message;
import dev.courier.spi.TransportDelivery;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("LeaseRenewer")
class LeaseRenewerTest {
  /** Counts extensions; counts down {@code extended} on each. */
  private static final class Leased implements TransportDelivery {
    final AtomicInteger extensions = new AtomicInteger();
    volatile CountDownLatch extended = new CountDownLatch(3);

    @Override
    public Message message() {
      return Message.builder().id("m").payload(new byte[0]).build();
    }

    @Override
    public int deliveryCount() {
      return 1;
    }

    @Override
    public void ack() {}

    @Override
    public void nack(Duration redeliverAfter) {}

    @Override
    public void extendLease() {
      extensions.incrementAndGet();
      extended.countDown();
    }
  }

  @Test
  @DisplayName("extends a lease on the declared interval until stopped, then never again")
  void renewsUntilStopped() throws Exception {
    try (LeaseRenewer renewer = new LeaseRenewer(Optional.of(Duration.ofMillis(10)))) {
      Leased d = new Leased();
      LeaseRenewer.Lease lease = renewer.start(d, () -> false);
      assertTrue(d.extended.await(10, TimeUnit.SECONDS), "three extensions");
      lease.stop();
      int atStop = d.extensions.get();
      // A later lease on the same scheduler runs three times: had the stopped one gone on, it would have too.
      Leased other = new Leased();
      renewer.start(other, () -> false);
      assertTrue(other.extended.await(10, TimeUnit.SECONDS), "the other lease is extended");
      assertTrue(d.extensions.get() <= atStop + 1, "extended " + (d.extensions.get() - atStop) + " times after stop");
    }
  }

  @Test
  @DisplayName("stops extending once the handler is overdue (past its timeout and grace)")
  void stopsWhenOverdue() throws Exception {
    try (LeaseRenewer renewer = new LeaseRenewer(Optional.of(Duration.ofMillis(10)))) {
      Leased d = new Leased();
      AtomicBoolean overdue = new AtomicBoolean();
      renewer.start(d, overdue::get);
      assertTrue(d.extended.await(10, TimeUnit.SECONDS), "extended while the handler is within its time");
      overdue.set(true);
      int atOverdue = d.extensions.get();
      Leased other = new Leased();
      renewer.start(other, () -> false);
      assertTrue(other.extended.await(10, TimeUnit.SECONDS), "the other lease is extended");
      assertTrue(d.extensions.get() <= atOverdue + 1, "extended " + (d.extensions.get() - atOverdue) + " times when overdue");
    }
  }

  @Test
  @DisplayName("without a declared interval never extends a lease")
  void withoutIntervalDoesNothing() throws Exception {
    try (LeaseRenewer renewer = new LeaseRenewer(Optional.empty());
        LeaseRenewer ticking = new LeaseRenewer(Optional.of(Duration.ofMillis(10)))) {
      Leased d = new Leased();
      LeaseRenewer.Lease lease = renewer.start(d, () -> false);
      Leased other = new Leased();
      ticking.start(other, () -> false);
      assertTrue(other.extended.await(10, TimeUnit.SECONDS), "a lease with an interval is extended meanwhile");
      lease.stop();
      assertEquals(0, d.extensions.get());
    }
  }

  @Test
  @DisplayName("a thread's slot renews the delivery it holds now, not the one before it")
  void slotRenewsItsCurrentDelivery() throws Exception {
    try (LeaseRenewer renewer = new LeaseRenewer(Optional.of(Duration.ofMillis(10)))) {
      LeaseRenewer.Slot slot = renewer.slot(() -> false);
      Leased first = new Leased();
      slot.start(first);
      assertTrue(first.extended.await(10, TimeUnit.SECONDS), "the first delivery is extended");
      slot.stop();
      Leased second = new Leased();
      slot.start(second);
      int atSwitch = first.extensions.get();
      assertTrue(second.extended.await(10, TimeUnit.SECONDS), "the second delivery is extended");
      assertTrue(first.extensions.get() <= atSwitch + 1, "extended " + (first.extensions.get() - atSwitch)
          + " times after the slot moved on");
      slot.close();
      int atClose = second.extensions.get();
      Leased other = new Leased();
      renewer.start(other, () -> false);
      assertTrue(other.extended.await(10, TimeUnit.SECONDS), "another lease is extended");
      assertTrue(second.extensions.get() <= atClose + 1, "extended " + (second.extensions.get() - atClose)
          + " times after the slot closed");
    }
  }
}
