package dev.courier.pubsub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.courier.GroupOptions;
import dev.courier.Message;
import dev.courier.spi.ReceiveSpec;
import dev.courier.spi.Receiver;
import dev.courier.spi.TransportDelivery;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Pub/Sub receiving")
class PubSubReceiveTest {
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
    String topic = PubSubTestSupport.uniqueName("orderednack");
    GroupOptions ordered = GroupOptions.defaults().withOrderedByKey(true);
    transport.ensureGroup(topic, "g", ordered);
    for (int i = 1; i <= 3; i++) {
      transport.send(topic, Message.builder().key("k").payload(new byte[] {(byte) i}).build()).get(30, TimeUnit.SECONDS);
    }
    BlockingQueue<TransportDelivery> in = new LinkedBlockingQueue<>();
    Receiver r = transport.receive(new ReceiveSpec(topic, "g", 10, ordered), in::add);
    try {
      TransportDelivery[] first = new TransportDelivery[3];
      for (int i = 0; i < 3; i++) {
        first[i] = in.poll(20, TimeUnit.SECONDS);
        if (first[i] == null) {
          fail("message " + (i + 1) + " of 3 did not arrive within 20 s");
        }
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
}
