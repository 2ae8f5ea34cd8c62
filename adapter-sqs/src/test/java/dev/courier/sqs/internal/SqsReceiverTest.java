package dev.courier.sqs.internal;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.Message;
import dev.courier.spi.TransportDelivery;
import dev.courier.sqs.SqsSettings;
import dev.courier.sqs.SqsTopology;
import dev.courier.testsupport.ElasticMqServer;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;

@DisplayName("SqsReceiver on ElasticMQ")
class SqsReceiverTest {
  @Test
  @DisplayName("a receiver that cannot schedule its keep-alive (its transport closing) fails without leaving pollers running")
  void noPollersWhenSchedulingFails() throws Exception {
    ElasticMqServer server = ElasticMqServer.shared();
    String queue = "r-sched-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xFFFFFFFFFFL);
    SqsSettings settings = SqsSettings.builder().endpoint(server.endpoint()).credentials("test", "test")
        .topology(SqsTopology.QUEUE).waitTime(Duration.ofSeconds(1)).build();
    ExecutorService io = Executors.newSingleThreadExecutor();
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    scheduler.shutdownNow(); // as SqsTransport.close leaves it
    try (SqsClient sqs = SqsClient.builder().httpClient(UrlConnectionHttpClient.create()).region(Region.US_EAST_1)
        .endpointOverride(URI.create(server.endpoint()))
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"))).build();
        Settler settler = new Settler(sqs, "test-settle")) {
      String url = sqs.createQueue(r -> r.queueName(queue)).queueUrl();
      SqsContext ctx = new SqsContext(sqs, settler, io, scheduler, new Resender(sqs, settler, Duration.ofSeconds(1)),
          new UncountedReceives(), settings);
      assertThrows(RejectedExecutionException.class, () -> new SqsReceiver(ctx, url, queue, 4, d -> { }));
      List<String> left = Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
          .filter(n -> n.startsWith("courier-sqs-poll-" + queue)).toList();
      assertTrue(left.isEmpty(), "pollers left running: " + left);
    } finally {
      io.shutdownNow();
    }
  }

  @Test
  @DisplayName("a defer once the transport's I/O pool is shut down still returns the message uncounted (the hook threw RejectedExecutionException)")
  void deferAfterIoShutDown() throws Exception {
    ElasticMqServer server = ElasticMqServer.shared();
    String queue = "r-io-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xFFFFFFFFFFL);
    SqsSettings settings = SqsSettings.builder().endpoint(server.endpoint()).credentials("test", "test")
        .topology(SqsTopology.QUEUE).waitTime(Duration.ofSeconds(1)).build();
    ExecutorService io = Executors.newSingleThreadExecutor();
    io.shutdown(); // as SqsTransport.close leaves it while a receiver may still settle
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    SqsReceiver receiver = null;
    try (SqsClient sqs = SqsClient.builder().httpClient(UrlConnectionHttpClient.create()).region(Region.US_EAST_1)
        .endpointOverride(URI.create(server.endpoint()))
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"))).build();
        Settler settler = new Settler(sqs, "test-settle")) {
      String url = sqs.createQueue(r -> r.queueName(queue)).queueUrl();
      Message m = Message.builder().payload("x".getBytes()).build();
      WireFormat.Outgoing out = WireFormat.encode(m, WireFormat.Meta.NONE);
      sqs.sendMessage(r -> r.queueUrl(url).messageBody(out.body()).messageAttributes(out.attributes()));
      SqsContext ctx = new SqsContext(sqs, settler, io, scheduler, new Resender(sqs, settler, Duration.ofSeconds(1)),
          new UncountedReceives(), settings);
      LinkedBlockingQueue<TransportDelivery> in = new LinkedBlockingQueue<>();
      receiver = new SqsReceiver(ctx, url, queue, 4, in::add);
      TransportDelivery d = in.poll(15, TimeUnit.SECONDS);
      assertNotNull(d, "no delivery within 15 s");
      assertTrue(d.tryStart());
      assertDoesNotThrow(() -> d.defer(Duration.ZERO));
      TransportDelivery again = in.poll(15, TimeUnit.SECONDS);
      assertNotNull(again, "the deferred message did not come back within 15 s");
      assertEquals(m.id(), again.message().id());
      assertEquals(1, again.deliveryCount(), "a defer must not count");
      again.ack();
    } finally {
      if (receiver != null) {
        receiver.close();
        receiver.awaitPollers(Duration.ofSeconds(5));
      }
      scheduler.shutdownNow();
    }
  }
}
