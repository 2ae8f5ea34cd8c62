package dev.courier.pubsub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.courier.GroupOptions;
import dev.courier.Message;
import dev.courier.spi.ReceiveSpec;
import dev.courier.spi.Receiver;
import dev.courier.spi.TransportDelivery;
import dev.courier.testsupport.Poll;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Pub/Sub receiving")
class PubSubReceiveTest {
  private static final GroupOptions ORDERED = GroupOptions.defaults().withOrderedByKey(true);

  private PubSubTransport transport;

  @BeforeEach
  void connect() {
    transport = PubSubTestSupport.newTransport();
  }

  @AfterEach
  void close() {
    transport.close();
  }

  @Test
  @DisplayName("a delayed nack does not hold the subscriber's only slot: with maxInFlight 1 the next message arrives")
  void delayedNackDoesNotStallTheSubscription() throws Exception {
    String topic = PubSubTestSupport.uniqueName("nackdelay");
    transport.ensureGroup(topic, "g", GroupOptions.defaults());
    transport.send(topic, Message.of(new byte[] {1})).get(30, TimeUnit.SECONDS);
    BlockingQueue<TransportDelivery> in = new LinkedBlockingQueue<>();
    Receiver r = transport.receive(new ReceiveSpec(topic, "g", 1, GroupOptions.defaults()), in::add);
    try {
      TransportDelivery first = in.poll(20, TimeUnit.SECONDS);
      if (first == null) {
        fail("the first message did not arrive within 20 s");
      }
      transport.send(topic, Message.of(new byte[] {2})).get(30, TimeUnit.SECONDS);
      first.nack(Duration.ofSeconds(120)); // back in two minutes: the slot is free now
      TransportDelivery second = in.poll(20, TimeUnit.SECONDS);
      if (second == null) {
        fail("with the first message nacked for 120 s, the second did not arrive within 20 s");
      }
      assertEquals(2, second.message().payload()[0]);
      second.ack();
    } finally {
      r.close();
    }
  }

  @Test
  @DisplayName("an ordered nack brings the key's later messages back: copies of messages handled here are acked, not handed over twice")
  void orderedNackDoesNotRedeliverHandledMessages() throws Exception {
    String topic = orderedKeyOfThree("orderednack");
    BlockingQueue<TransportDelivery> in = new LinkedBlockingQueue<>();
    Receiver r = transport.receive(new ReceiveSpec(topic, "g", 10, ORDERED), in::add);
    try {
      TransportDelivery[] first = take(in, 3).toArray(TransportDelivery[]::new);
      for (int i = 0; i < 3; i++) {
        assertEquals(i + 1, first[i].message().payload()[0]);
      }
      // As Courier's ordered lanes do: the first fails while the key's later ones wait, then they are handled.
      first[0].nack(Duration.ofSeconds(1)); // Pub/Sub redelivers it and, on an ordered subscription, 2 and 3 after it
      first[1].ack();
      first[2].ack();
      TransportDelivery again = in.poll(20, TimeUnit.SECONDS);
      if (again == null) {
        fail("the nacked message did not come back within 20 s");
      }
      assertEquals(1, again.message().payload()[0]);
      again.ack();
      TransportDelivery extra = in.poll(3, TimeUnit.SECONDS); // redeliveries follow the nacked one at once
      if (extra != null) {
        fail("message " + extra.message().payload()[0] + ", handled and acked here, was handed over again");
      }
    } finally {
      r.close();
    }
  }

  /**
   * What TCK-4.4's duplicates on the emulator are: Pub/Sub's ordered redelivery resends the key's
   * messages acked after the nacked one, and {@code RecentAcks} only knows this receiver's acks.
   * The emulator sends such a redelivery back to the nacking subscriber most of the time (94 of
   * 4,780 in twenty loaded TCK-4.4 runs went to another one); here the nacking one has closed.
   */
  @Test
  @DisplayName("an ordered nack's redelivery brings the key's later messages acked meanwhile to another subscriber too, which handles them again")
  void orderedRedeliveryBringsAckedCopiesToAnotherSubscriber() throws Exception {
    String topic = orderedKeyOfThree("orderedcopies");
    List<Integer> handled = Collections.synchronizedList(new ArrayList<>());
    BlockingQueue<TransportDelivery> in = new LinkedBlockingQueue<>();
    Receiver first = transport.receive(new ReceiveSpec(topic, "g", 10, ORDERED), in::add);
    try {
      List<TransportDelivery> got = take(in, 3);
      // As Courier's ordered lane does: the first fails, then the key's later ones are handled. The
      // delay leaves close time to end the streams, so the redelivery cannot come back here.
      got.get(0).nack(Duration.ofSeconds(5));
      for (TransportDelivery d : got.subList(1, 3)) {
        if (d.tryStart()) {
          handled.add((int) d.message().payload()[0]);
          d.ack();
        }
      }
    } finally {
      first.close(); // sends its acks; the redelivery goes to the other subscriber
    }
    try (PubSubTransport other = PubSubTestSupport.newTransport()) { // another process: its own RecentAcks
      List<String> arrived = Collections.synchronizedList(new ArrayList<>());
      Receiver second = other.receive(new ReceiveSpec(topic, "g", 10, ORDERED), d -> {
        arrived.add(d.message().payload()[0] + "@" + d.deliveryCount());
        if (d.tryStart()) {
          handled.add((int) d.message().payload()[0]);
          d.ack();
        }
      });
      try {
        Poll.await(() -> arrived.size() >= 3, "the other subscriber received the key's 3 messages");
      } finally {
        second.close();
      }
      assertEquals(List.of("1@2", "2@2", "3@2"), List.copyOf(arrived),
          "the redelivery, as message@deliveryCount: from the nacked one on, the acked ones counted as delivered again");
    }
    assertEquals(List.of(2, 3, 1, 2, 3), List.copyOf(handled), "messages handled, in order");
  }

  /** A topic whose ordered group "g" holds messages 1, 2 and 3 of one key. */
  private String orderedKeyOfThree(String purpose) throws Exception {
    String topic = PubSubTestSupport.uniqueName(purpose);
    transport.ensureGroup(topic, "g", ORDERED);
    for (int i = 1; i <= 3; i++) {
      transport.send(topic, Message.builder().key("k").payload(new byte[] {(byte) i}).build()).get(30, TimeUnit.SECONDS);
    }
    return topic;
  }

  private static List<TransportDelivery> take(BlockingQueue<TransportDelivery> in, int n) throws InterruptedException {
    List<TransportDelivery> got = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      TransportDelivery d = in.poll(20, TimeUnit.SECONDS);
      if (d == null) {
        fail("message " + (i + 1) + " of " + n + " did not arrive within 20 s");
      }
      got.add(d);
    }
    return got;
  }
}
