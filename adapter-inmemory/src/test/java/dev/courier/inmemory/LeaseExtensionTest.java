package dev.courier.inmemory;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.courier.Courier;
import dev.courier.Message;
import dev.courier.SubscriptionOptions;
import dev.courier.testsupport.Poll;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The core keeps a started delivery's lease (the in-memory ack timeout) alive while its handler runs. */
@DisplayName("Lease extension on the in-memory broker")
class LeaseExtensionTest {
  private static final Duration ACK_TIMEOUT = Duration.ofSeconds(1);
  private final String broker = "lease-" + UUID.randomUUID();
  private final List<Courier> couriers = new CopyOnWriteArrayList<>();

  @AfterEach
  void close() {
    couriers.forEach(Courier::close);
    InMemoryBroker.discard(broker);
  }

  private Courier courier() {
    Courier c = Courier.builder()
        .transport(InMemoryTransport.builder().brokerName(broker).ackTimeout(ACK_TIMEOUT).build()).build();
    couriers.add(c);
    return c;
  }

  @Test
  @DisplayName("declares a renewal interval of a fifth of the ack timeout")
  void declaresRenewalInterval() {
    assertEquals(Optional.of(ACK_TIMEOUT.dividedBy(5)),
        courier().capabilities().leaseRenewalInterval().map(d -> Duration.ofMillis(d.toMillis())));
  }

  @Test
  @DisplayName("a handler running 3.5 times the ack timeout is not overlapped by a second consumer, and its message is handled once")
  void longHandlerKeepsItsLease() throws Exception {
    List<String> starts = new CopyOnWriteArrayList<>();
    List<String> ends = new CopyOnWriteArrayList<>();
    Courier a = courier();
    Courier b = courier();
    a.admin().ensureGroup("t", "g");
    for (Courier c : List.of(a, b)) {
      c.subscribe(SubscriptionOptions.builder("t", "g").build(), d -> {
        starts.add(d.message().id() + "#" + d.attempt());
        long until = System.nanoTime() + ACK_TIMEOUT.toNanos() * 7 / 2;
        while (System.nanoTime() - until < 0) { // the work itself, not a wait for another thread
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
        ends.add(d.message().id());
      });
    }
    a.publisher().publish("t", Message.builder().id("long").payload(new byte[1]).build()).join();
    Poll.await(() -> !ends.isEmpty(), "the long handler ends");
    assertEquals(List.of("long#1"), starts, "handler starts by the time the first one ended");
    InMemoryTransport t = InMemoryTransport.builder().brokerName(broker).build();
    Poll.await(() -> t.backlog("t", "g").getAsLong() == 0, "the message is acked");
    assertEquals(List.of("long"), ends, "handler ends");
  }
}
