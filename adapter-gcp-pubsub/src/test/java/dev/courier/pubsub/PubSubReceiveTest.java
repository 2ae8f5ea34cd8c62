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
}
