package dev.courier.tck.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.courier.Message;
import dev.courier.spi.ReceiveSpec;
import dev.courier.spi.Receiver;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportDelivery;
import dev.courier.testsupport.Poll;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The SPI-level contract of {@link Transport} and {@link TransportDelivery}, for adapter authors:
 * the promises Courier's core relies on that the API-level TCK cannot see (a release counted as a
 * delivery passes every TCK rule until the message is dead-lettered early). An adapter runs it
 * beside the TCK with a small class:
 *
 * <pre>{@code
 * class KafkaContractTest extends TransportContractKit {
 *   protected Transport newTransport() { return KafkaTransport.builder(servers).build(); }
 * }
 * }</pre>
 *
 * <p>Rules are grouped by promise ({@code @Nested}); each display name starts with a stable id
 * ({@code SPI-2.1}) that the failure messages quote. Rules an adapter is excused from by its
 * declarations ({@link #defersAreCounted()}, {@link #lease()}) are reported skipped, with the
 * reason. Rules talk to the broker through the transport only, on names from {@link #uniqueName}.
 */
public abstract class TransportContractKit extends KitSupport {
  private static final String BACK_ONCE = "the message came back a second time (an original beside its copy, or a"
      + " settlement that was not ignored)";

  @Nested
  @DisplayName("SPI-1 hand-backs that are not handler failures do not count as deliveries")
  class HandBack {
    @Test
    @DisplayName("SPI-1.1 a released delivery comes back at once, with its id, key and headers, and its count unchanged")
    void releaseIsNotCounted() throws Exception {
      rule("SPI-1.1");
      Topic t = topic("release");
      Message sent = t.publishOne();
      KitInbox in = t.receive(8);
      in.take("the published message").nack(Duration.ZERO);
      TransportDelivery second = in.take("the message nacked with no delay");
      assertEquals(2, second.deliveryCount(), failure("a nacked delivery must count: check deliveryCount after nack"));
      second.release();
      TransportDelivery third = takeBack(in, sent, "the released message");
      assertEquals(2, third.deliveryCount(),
          failure("release() counted as a delivery: return it without the broker's count moving (see TransportDelivery#release)"));
      third.ack();
      nothingMore(in, "");
    }

    @Test
    @DisplayName("SPI-1.2 a deferred delivery comes back after its delay, its count unchanged")
    void deferIsNotCounted() throws Exception {
      rule("SPI-1.2");
      assumeFalse(defersAreCounted(), "the fixture declares that its broker counts a deferred delivery (defersAreCounted)");
      Topic t = topic("defer");
      Message sent = t.publishOne();
      KitInbox in = t.receive(8);
      in.take("the published message").nack(Duration.ZERO);
      TransportDelivery second = in.take("the message nacked with no delay");
      long deferredAt = System.nanoTime();
      second.defer(Duration.ofMillis(500));
      TransportDelivery third = takeBack(in, sent, "the deferred message");
      long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - deferredAt);
      assertEquals(second.deliveryCount(), third.deliveryCount(),
          failure("defer() counted as a delivery; if the broker cannot help it, declare defersAreCounted()"));
      assertTrue(waited >= 450, failure("the deferred message came back after " + waited + " ms, before its 500 ms"));
      third.ack();
      nothingMore(in, "");
    }

    @Test
    @DisplayName("SPI-1.3 deliveries released while later ones wait for capacity all come back, uncounted")
    void releasesUnderBackpressureComeBack() throws Exception {
      rule("SPI-1.3");
      int total = 20;
      Topic t = topic("release-busy");
      Set<String> missing = new HashSet<>();
      t.publish(total).forEach(m -> missing.add(m.id()));
      KitInbox in = t.receive(3);
      List<TransportDelivery> batch = new ArrayList<>(in.take(3, "the first deliveries"));
      Optional.ofNullable(in.poll(quiet())).ifPresent(batch::add); // meanwhile later ones wait for capacity
      Set<String> released = new HashSet<>();
      for (int seen = 0; !missing.isEmpty(); seen++) {
        TransportDelivery d = !batch.isEmpty() ? batch.remove(0) : in.take("the rest (" + missing.size() + " of " + total + " not yet acked; released and"
            + " not seen since: " + released + ")");
        released.remove(d.message().id());
        assertEquals(1, d.deliveryCount(), failure("a release was counted as a delivery"));
        if (seen % 4 == 3) {
          released.add(d.message().id());
          d.release();
        } else {
          missing.remove(d.message().id());
          d.ack();
        }
      }
      nothingMore(in, "");
    }
  }

  @Nested
  @DisplayName("SPI-2 settlement is idempotent: only the first ack or nack counts")
  class Settlement {
    @Test
    @DisplayName("SPI-2.1 acking a delivery twice removes it once, and nothing comes back")
    void ackTwice() throws Exception {
      secondSettlementIsIgnored("SPI-2.1", TransportDelivery::ack, TransportDelivery::ack, false);
    }

    @Test
    @DisplayName("SPI-2.2 a nack after an ack is ignored: nothing comes back")
    void nackAfterAck() throws Exception {
      secondSettlementIsIgnored("SPI-2.2", TransportDelivery::ack, d -> d.nack(Duration.ZERO), false);
    }

    @Test
    @DisplayName("SPI-2.3 an ack or release after a nack is ignored: the message comes back once")
    void settleAfterNack() throws Exception {
      secondSettlementIsIgnored("SPI-2.3", d -> d.nack(Duration.ZERO), d -> {
        d.ack();
        d.release();
      }, true);
    }

    private void secondSettlementIsIgnored(String id, Settle first, Settle second, boolean comesBack)
        throws Exception {
      rule(id);
      Topic t = topic("settle");
      Message sent = t.publishOne();
      KitInbox in = t.receive(8);
      TransportDelivery d = in.take("the published message");
      first.apply(d);
      second.apply(d);
      if (comesBack) {
        takeBack(in, sent, "the nacked message (the settlement after the nack must not remove it)").ack();
      }
      nothingMore(in, ": only the first settlement of a delivery may act");
    }
  }

  @Nested
  @DisplayName("SPI-3 closing a receiver returns what it did not settle")
  class Close {
    @Test
    @DisplayName("SPI-3.1 settling after the receiver closed does nothing: the message comes back once")
    void settlingAfterCloseIsANoOp() throws Exception {
      rule("SPI-3.1");
      Topic t = topic("after-close");
      Message sent = t.publishOne();
      KitInbox first = inbox();
      Receiver r = t.open(8, first);
      TransportDelivery held = first.take("the published message");
      r.close();
      held.ack();
      held.nack(Duration.ZERO);
      held.release();
      KitInbox second = t.receive(8);
      takeBack(second, sent, "the message its closed receiver had not settled").ack();
      nothingMore(second, ": settlement after close must do nothing");
    }

    @Test
    @DisplayName("SPI-3.2 close returns every unsettled delivery to the group, once, and none of those it acked first")
    void closeReturnsEveryUnsettledDelivery() throws Exception {
      rule("SPI-3.2");
      Topic t = topic("close");
      List<Message> sent = t.publish(6);
      KitInbox first = inbox();
      Receiver r = t.open(6, first);
      List<TransportDelivery> held = first.take(6, "the published messages");
      Set<String> unsettled = new HashSet<>();
      for (int i = 0; i < held.size(); i++) {
        if (i < held.size() / 2) { // a prefix, in order: a log-based broker commits no further
          held.get(i).ack();
        } else {
          unsettled.add(held.get(i).message().id());
        }
      }
      r.close();
      KitInbox second = t.receive(6);
      Set<String> back = new HashSet<>();
      while (back.size() < unsettled.size()) {
        TransportDelivery d = second.take("every delivery the closed receiver left unsettled (" + back.size() + " of "
            + unsettled.size() + " came back)");
        assertTrue(unsettled.contains(d.message().id()), failure("a delivery acked before close came back: "
            + d.message().id() + " (of " + sent.size() + " sent)"));
        assertTrue(back.add(d.message().id()), failure(BACK_ONCE + ": " + d.message().id()));
        d.ack();
      }
      nothingMore(second, "");
    }
  }

  @Nested
  @DisplayName("SPI-4 a delivery is either started or withdrawn, never both")
  class HandOver {
    @Test
    @DisplayName("SPI-4.1 after the receiver closes, a delivery that never started is withdrawn and refuses to start")
    void withdrawnNeverStarts() throws Exception {
      rule("SPI-4.1");
      Topic t = topic("withdraw");
      t.publish(3);
      KitInbox in = inbox();
      Receiver r = t.open(3, in);
      List<TransportDelivery> held = in.take(3, "the published messages");
      r.close();
      for (TransportDelivery d : held) {
        assertTrue(d.isWithdrawn(), failure("an unstarted delivery of a closed receiver is not withdrawn, though close"
            + " returned it to the broker: isWithdrawn() must say so (see TransportDelivery#isWithdrawn)"));
        assertFalse(d.tryStart(), failure("tryStart() returned true on a withdrawn delivery: its handler would run on a"
            + " message the broker delivers again"));
      }
    }

    @Test
    @DisplayName("SPI-4.2 a started delivery stays started while a competing receiver joins; whatever is withdrawn refuses to start")
    void startedIsNeverWithdrawn() throws Exception {
      rule("SPI-4.2");
      Topic t = topic("started");
      t.publish(4);
      KitInbox in = t.receive(4);
      List<TransportDelivery> held = in.take(4, "the published messages");
      TransportDelivery running = held.get(0);
      assertTrue(running.tryStart(), failure("tryStart() refused a fresh delivery of an open receiver"));
      t.receive(4); // a competing receiver joins: the moment a partitioned broker rebalances
      boolean watched = Poll.holdsFor(quiet().multipliedBy(2), () -> {
        running.extendLease(); // as the core does for a running handler: a lease running out is not a withdrawal
        assertFalse(running.isWithdrawn(), failure("a started delivery was withdrawn; after tryStart() returned true"
            + " the adapter must wait for its settlement instead"));
        for (TransportDelivery d : held.subList(1, held.size())) {
          if (d.isWithdrawn()) {
            assertFalse(d.tryStart(), failure("tryStart() returned true on a withdrawn delivery"));
          }
        }
        return true;
      });
      assertTrue(watched && !Thread.currentThread().isInterrupted(), failure("the watch was cut short (interrupted):"
          + " the started delivery was not watched while the competing receiver joined"));
      running.ack();
      held.subList(1, held.size()).forEach(TransportDelivery::release);
    }
  }

  @Nested
  @DisplayName("SPI-5 flow control")
  class FlowControl {
    @Test
    @DisplayName("SPI-5.1 a receiver never has more than maxInFlight deliveries handed over and not settled or withdrawn")
    void maxInFlightIsNeverExceeded() throws Exception {
      rule("SPI-5.1");
      int max = 3;
      int total = 20;
      Topic t = topic("inflight");
      Set<String> missing = new HashSet<>();
      t.publish(total).forEach(m -> missing.add(m.id()));
      AtomicInteger open = new AtomicInteger();
      AtomicReference<String> excess = new AtomicReference<>();
      KitInbox in = inbox();
      t.open(max, d -> {
        int now = open.incrementAndGet();
        if (now > max) {
          excess.compareAndSet(null, "delivery " + d.message().id() + " was handed over while " + (now - 1)
              + " were unsettled; maxInFlight is " + max);
        }
        in.accept(d);
      });
      List<TransportDelivery> first = in.take(max, "the first maxInFlight deliveries");
      assertNull(in.poll(quiet()), failure("a delivery beyond maxInFlight (" + max + ") was handed over while "
          + max + " were unsettled"));
      for (TransportDelivery d : first) {
        open.decrementAndGet(); // before settling: the adapter may hand over the next at once
        missing.remove(d.message().id());
        d.ack();
      }
      while (!missing.isEmpty()) {
        TransportDelivery d = in.take("the rest after capacity was freed (" + missing.size() + " of " + total
            + " not yet acked)");
        open.decrementAndGet();
        if (!d.isWithdrawn()) { // a withdrawn one the broker delivers again
          missing.remove(d.message().id());
          d.ack();
        }
        assertNull(excess.get(), () -> failure(excess.get()));
      }
      assertNull(excess.get(), () -> failure(excess.get()));
    }
  }

  @Nested
  @DisplayName("SPI-6 leases")
  class Leases {
    @Test
    @DisplayName("SPI-6.1 a started delivery whose lease is extended on the declared interval is not given to another receiver for three leases")
    void leaseIsKeptWhileExtended() throws Exception {
      rule("SPI-6.1");
      Optional<Duration> lease = lease();
      assumeTrue(lease.isPresent(), "the fixture declares no lease (lease()): the broker keeps a delivery until settled");
      Optional<Duration> interval = transport().capabilities().leaseRenewalInterval();
      assertTrue(interval.isPresent(), failure("the fixture declares a lease but the transport declares no"
          + " Capabilities.leaseRenewalInterval(), so the core would never extend it"));
      assertTrue(interval.get().compareTo(lease.get()) < 0, failure("the renewal interval " + interval.get()
          + " is not shorter than the lease " + lease.get()));
      Topic t = topic("lease");
      Message sent = t.publishOne();
      KitInbox first = inbox();
      Receiver holder = t.open(4, first);
      TransportDelivery held = first.take("the published message");
      holder.stopFetching();
      assertTrue(held.tryStart(), failure("tryStart() refused a fresh delivery"));
      KitInbox second = t.receive(4);
      long until = System.nanoTime() + lease.get().toNanos() * 3;
      while (System.nanoTime() - until < 0) {
        held.extendLease();
        TransportDelivery stolen = second.poll(interval.get());
        if (stolen != null) {
          fail(failure("the message " + stolen.message().id() + " (" + (stolen.message().id().equals(sent.id())
              ? "the held one" : "another") + ") went to a second receiver while its lease was being extended every "
              + interval.get().toMillis() + " ms: extendLease() must push the broker's redelivery a full lease away"));
        }
      }
      assertFalse(held.isWithdrawn(), failure("the extended delivery was withdrawn"));
      held.ack();
      nothingMore(second, "");
      assertNull(first.poll(Duration.ZERO), failure("the held message was handed to its own receiver again"));
    }
  }

  /** The next delivery, which must be {@code sent} with its key and headers, nothing added. */
  private TransportDelivery takeBack(KitInbox in, Message sent, String what) throws InterruptedException {
    TransportDelivery d = in.take(what);
    assertEquals(sent.id(), d.message().id(), failure("a different message came back"));
    assertEquals(sent.key(), d.message().key(), failure("the key changed on the way back"));
    assertEquals(sent.headers(), d.message().headers(), failure("the headers changed on the way back (adapter headers leaked?)"));
    return d;
  }

  /** Fails if anything more arrives within {@link #quiet()}. */
  private void nothingMore(KitInbox in, String why) throws InterruptedException {
    TransportDelivery extra = in.poll(quiet());
    assertNull(extra, () -> failure(BACK_ONCE + why + ": " + extra.message().id()));
  }

  @FunctionalInterface
  private interface Settle {
    void apply(TransportDelivery d);
  }
}
