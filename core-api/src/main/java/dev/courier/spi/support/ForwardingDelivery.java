package dev.courier.spi.support;

import dev.courier.Message;
import dev.courier.spi.TransportDelivery;
import dev.courier.spi.Undecodable;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A delivery that forwards every {@link TransportDelivery} method to another one: a base for
 * wrappers that change a few, so a method added to the SPI is forwarded by all of them instead of
 * falling back to its default (a wrapper that forgot {@code defer} would count idempotency waits;
 * one that forgot {@code undecodable} would hand a broken entry to the handler).
 */
public abstract class ForwardingDelivery implements TransportDelivery {
  private final TransportDelivery delegate;

  protected ForwardingDelivery(TransportDelivery delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  protected final TransportDelivery delegate() {
    return delegate;
  }

  @Override
  public Message message() {
    return delegate.message();
  }

  @Override
  public int deliveryCount() {
    return delegate.deliveryCount();
  }

  @Override
  public Optional<Undecodable> undecodable() {
    return delegate.undecodable();
  }

  @Override
  public void ack() {
    delegate.ack();
  }

  @Override
  public void nack(Duration redeliverAfter) {
    delegate.nack(redeliverAfter);
  }

  @Override
  public void release() {
    delegate.release();
  }

  @Override
  public void defer(Duration redeliverAfter) {
    delegate.defer(redeliverAfter);
  }

  @Override
  public boolean isWithdrawn() {
    return delegate.isWithdrawn();
  }

  @Override
  public boolean tryStart() {
    return delegate.tryStart();
  }

  @Override
  public void extendLease() {
    delegate.extendLease();
  }

  @Override
  public String toString() {
    return delegate.toString();
  }
}
