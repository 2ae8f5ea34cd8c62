package dev.courier.internal;

import dev.courier.Capabilities;
import dev.courier.CourierListener;
import dev.courier.Delivery;
import dev.courier.Message;
import dev.courier.PublishException;
import dev.courier.spi.DeliverySink;
import dev.courier.spi.NamingRules;
import dev.courier.spi.ReceiveSpec;
import dev.courier.spi.Receiver;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportDelivery;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/** What the failure path's steps are tested with, without an adapter. */
final class StepFixtures {
  private StepFixtures() {}

  /** A raw delivery that records how it was settled. */
  static class FakeDelivery implements TransportDelivery {
    final Message message;
    final int deliveryCount;
    final List<String> settled = new CopyOnWriteArrayList<>();

    FakeDelivery(Message message, int deliveryCount) {
      this.message = message;
      this.deliveryCount = deliveryCount;
    }

    @Override
    public Message message() {
      return message;
    }

    @Override
    public int deliveryCount() {
      return deliveryCount;
    }

    @Override
    public void ack() {
      settled.add("ack");
    }

    @Override
    public void nack(Duration redeliverAfter) {
      settled.add("nack:" + redeliverAfter.toMillis());
    }

    @Override
    public void release() {
      settled.add("release");
    }

    @Override
    public void defer(Duration redeliverAfter) {
      settled.add("defer:" + redeliverAfter.toMillis());
    }
  }

  /** Records what the core sends (dead letters); fails sends while {@link #failing} is set. */
  static final class RecordingTransport implements Transport {
    final List<String> sent = new CopyOnWriteArrayList<>();
    volatile boolean failing;

    @Override
    public String name() {
      return "steps";
    }

    @Override
    public Capabilities capabilities() {
      return Capabilities.builder().build();
    }

    @Override
    public NamingRules naming() {
      return NamingRules.standard();
    }

    @Override
    public CompletableFuture<Void> send(String topic, Message message) {
      if (failing) {
        return CompletableFuture.failedFuture(new PublishException("refused by the test"));
      }
      sent.add(topic + ":" + message.id());
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public Receiver receive(ReceiveSpec spec, DeliverySink sink) {
      throw new UnsupportedOperationException("the steps never receive");
    }

    @Override
    public void ensureTopic(String topic) {}

    @Override
    public void ensureGroup(String topic, String group, dev.courier.GroupOptions options) {}

    @Override
    public OptionalLong backlog(String topic, String group) {
      return OptionalLong.empty();
    }

    @Override
    public void close() {}
  }

  /** Records events as "event:attempt[:detail]". */
  static final class Events implements CourierListener {
    final List<String> list = new CopyOnWriteArrayList<>();

    @Override
    public void started(Delivery d) {
      list.add("started:" + d.attempt());
    }

    @Override
    public void delivered(Delivery d) {
      list.add("delivered:" + d.attempt());
    }

    @Override
    public void acked(Delivery d, Duration handlerTime) {
      list.add("acked:" + d.attempt());
    }

    @Override
    public void retried(Delivery d, Throwable failure, Duration backoff) {
      list.add("retried:" + d.attempt() + ":" + failure.getClass().getSimpleName());
    }

    @Override
    public void redelivered(Delivery d, Throwable failure, Duration delay) {
      list.add("redelivered:" + d.attempt() + ":" + failure.getClass().getSimpleName());
    }

    @Override
    public void deadLettered(Delivery d, Throwable failure, String deadLetterTopic) {
      list.add("deadLettered:" + d.attempt() + ":" + failure.getClass().getSimpleName());
    }

    @Override
    public void duplicateSkipped(Delivery d) {
      list.add("duplicateSkipped:" + d.attempt());
    }

    @Override
    public void released(Delivery d, Release reason) {
      list.add("released:" + d.attempt() + ":" + reason);
    }
  }
}
