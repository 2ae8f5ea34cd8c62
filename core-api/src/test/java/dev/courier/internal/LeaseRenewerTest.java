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
  private static class Leased implements TransportDelivery {
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

  /** Throws {@code failure} from its first extension, then extends like any other. */
  private static final class FailsOnce extends Leased {
    private final Throwable failure;
    final CountDownLatch thrown = new CountDownLatch(1);

    FailsOnce(Throwable failure) {
      this.failure = failure;
    }

    @Override
    public void extendLease() {
      if (thrown.getCount() > 0) {
        thrown.countDown();
        sneakyThrow(failure);
      }
      super.extendLease();
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> void sneakyThrow(Throwable t) throws T {
      throw (T) t;
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

  @Test
  @DisplayName("an Error from one delivery's extension neither stops the scan nor skips the other slots")
  void keepsScanningAfterAnError() throws Exception {
    try (LeaseRenewer renewer = new LeaseRenewer(Optional.of(Duration.ofMillis(10)))) {
      FailsOnce failing = new FailsOnce(new NoClassDefFoundError("x"));
      Leased other = new Leased();
      renewer.start(failing, () -> false);
      renewer.start(other, () -> false);
      assertTrue(failing.thrown.await(10, TimeUnit.SECONDS), "the failing extension ran");
      other.extended = new CountDownLatch(10);
      failing.extended = new CountDownLatch(3);
      assertTrue(other.extended.await(10, TimeUnit.SECONDS), "the other lease is still extended after the Error");
      assertTrue(failing.extended.await(10, TimeUnit.SECONDS), "the failing lease is extended again");
    }
  }

  @Test
  @DisplayName("a slot's renewal resumes once its call is no longer overdue (it returned just in time)")
  void resumesWhenNoLongerOverdue() throws Exception {
    try (LeaseRenewer renewer = new LeaseRenewer(Optional.of(Duration.ofMillis(10)))) {
      Leased d = new Leased();
      AtomicBoolean overdue = new AtomicBoolean(true);
      renewer.slot(overdue::get).start(d);
      // Scans that find it overdue: a lease that is due throughout is skipped on each.
      Leased other = new Leased();
      renewer.start(other, () -> false);
      assertTrue(other.extended.await(10, TimeUnit.SECONDS), "the other lease is extended meanwhile");
      assertEquals(0, d.extensions.get(), "extended while overdue");
      overdue.set(false); // the handler returned before the watchdog abandoned it: retries or settling follow
      assertTrue(d.extended.await(10, TimeUnit.SECONDS), "extended again once no longer overdue");
    }
  }
}
