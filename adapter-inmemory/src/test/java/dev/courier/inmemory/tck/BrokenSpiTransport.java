package dev.courier.inmemory.tck;

import dev.courier.spi.DeliverySink;
import dev.courier.spi.ReceiveSpec;
import dev.courier.spi.Receiver;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportDelivery;
import dev.courier.spi.support.ForwardingDelivery;
import dev.courier.spi.support.ForwardingTransport;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The real in-memory transport with one deliberate {@link Flaw} at the SPI, for the contract kit's
 * self-test: each flaw breaks one promise of {@link TransportDelivery} or {@link Receiver} the way
 * a buggy adapter would.
 */
final class BrokenSpiTransport extends ForwardingTransport {
  /** What goes wrong. */
  enum Flaw {
    /** None: the wrapper itself must keep every rule. */
    NONE,
    /** release() is a nack: counted. */
    COUNTS_RELEASE,
    /** release() acks: the message is gone. */
    LOSES_RELEASES,
    /** defer() is a nack: counted. */
    COUNTS_DEFER,
    /** A settlement after the first sends the message again, as a broker acting on both would. */
    SETTLES_TWICE,
    /** A settlement after the receiver closed sends the message again. */
    SETTLES_AFTER_CLOSE,
    /** close() acks what is unsettled instead of returning it. */
    KEEPS_UNSETTLED_ON_CLOSE,
    /** isWithdrawn() is always false and tryStart() always true. */
    STARTS_WITHDRAWN,
    /** A started delivery reports itself withdrawn. */
    WITHDRAWS_STARTED,
    /** Receivers get twice the maxInFlight they asked for. */
    IGNORES_MAX_IN_FLIGHT,
    /** extendLease() does nothing. */
    IGNORES_LEASE_EXTENSION
  }

  private final Transport real;
  private final Flaw flaw;

  BrokenSpiTransport(Transport real, Flaw flaw) {
    super(real);
    this.real = real;
    this.flaw = flaw;
  }

  @Override
  public Receiver receive(ReceiveSpec spec, DeliverySink sink) {
    int max = flaw == Flaw.IGNORES_MAX_IN_FLIGHT ? spec.maxInFlight() * 2 : spec.maxInFlight();
    AtomicBoolean closed = new AtomicBoolean();
    Set<TransportDelivery> unsettled = ConcurrentHashMap.newKeySet();
    Receiver r = real.receive(new ReceiveSpec(spec.topic(), spec.group(), max, spec.groupOptions()), d -> {
      Delivery w = new Delivery(d, spec.topic(), closed, unsettled);
      unsettled.add(w);
      sink.accept(w);
    });
    return new Receiver() {
      @Override
      public void stopFetching() {
        r.stopFetching();
      }

      @Override
      public void close() {
        if (flaw == Flaw.KEEPS_UNSETTLED_ON_CLOSE) {
          unsettled.forEach(TransportDelivery::ack);
        }
        r.close();
        closed.set(true);
      }
    };
  }

  /** One delivery of the real transport, with the flaw. */
  private final class Delivery extends ForwardingDelivery {
    private final TransportDelivery d;
    private final String topic;
    private final AtomicBoolean receiverClosed;
    private final Set<TransportDelivery> unsettled;
    private final AtomicBoolean settledOnce = new AtomicBoolean();
    private volatile boolean started;

    Delivery(TransportDelivery d, String topic, AtomicBoolean receiverClosed, Set<TransportDelivery> unsettled) {
      super(d);
      this.d = d;
      this.topic = topic;
      this.receiverClosed = receiverClosed;
      this.unsettled = unsettled;
    }

    /** Runs {@code settle} on the real delivery, or plays the flaw's wrong reaction to it. */
    private void settle(Runnable settle) {
      unsettled.remove(this);
      boolean again = !settledOnce.compareAndSet(false, true);
      if ((again && flaw == Flaw.SETTLES_TWICE) || (receiverClosed.get() && flaw == Flaw.SETTLES_AFTER_CLOSE)) {
        real.send(topic, d.message());
        return;
      }
      settle.run();
    }

    @Override
    public void ack() {
      settle(d::ack);
    }

    @Override
    public void nack(Duration redeliverAfter) {
      settle(() -> d.nack(redeliverAfter));
    }

    @Override
    public void release() {
      settle(switch (flaw) {
        case COUNTS_RELEASE -> () -> d.nack(Duration.ZERO);
        case LOSES_RELEASES -> d::ack;
        default -> d::release;
      });
    }

    @Override
    public void defer(Duration redeliverAfter) {
      settle(flaw == Flaw.COUNTS_DEFER ? () -> d.nack(redeliverAfter) : () -> d.defer(redeliverAfter));
    }

    @Override
    public boolean isWithdrawn() {
      if (flaw == Flaw.STARTS_WITHDRAWN) {
        return false;
      }
      return (started && flaw == Flaw.WITHDRAWS_STARTED) || d.isWithdrawn();
    }

    @Override
    public boolean tryStart() {
      started = flaw == Flaw.STARTS_WITHDRAWN || d.tryStart();
      return started;
    }

    @Override
    public void extendLease() {
      if (flaw != Flaw.IGNORES_LEASE_EXTENSION) {
        d.extendLease();
      }
    }
  }
}
