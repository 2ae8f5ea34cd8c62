package dev.courier.sqs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.courier.Message;
import dev.courier.PublishException;
import dev.courier.spi.ReceiveSpec;
import dev.courier.spi.TransportDelivery;
import dev.courier.testsupport.FauxqsServer;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("SQS transport, SNS topology, on fauxqs")
class SnsTransportTest {
  private final FauxqsServer server = FauxqsServer.shared();
  private SqsTransport transport;

  @AfterEach
  void close() {
    if (transport != null) {
      transport.close();
    }
  }

  private static String name(String purpose) {
    return "s-" + purpose + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xFFFFFFFFFFL);
  }

  @Test
  @DisplayName("a send to a dead-letter topic no queue subscribes to fails with PublishException (SNS drops it); once a group exists it arrives")
  void deadLetterWithoutSubscriptionFails() throws Exception {
    transport = SqsTransport.create(SqsTestSupport.settings(server).build());
    String dlq = transport.naming().deadLetterTopic(name("nodlq"), "g");
    Message m = Message.builder().payload(new byte[] {1}).build();
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> transport.send(dlq, m).get(10, TimeUnit.SECONDS));
    assertInstanceOf(PublishException.class, e.getCause());

    LinkedBlockingQueue<TransportDelivery> in = new LinkedBlockingQueue<>();
    transport.receive(new ReceiveSpec(dlq, transport.naming().deadLetterGroup(), 4, false), in::add);
    transport.send(dlq, m).get(10, TimeUnit.SECONDS);
    TransportDelivery d = in.poll(15, TimeUnit.SECONDS);
    assertNotNull(d, "no dead letter within 15 s");
    assertEquals(m.id(), d.message().id());
    d.ack();
  }
}
