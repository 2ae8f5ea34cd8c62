package dev.courier.sqs.internal;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.sqs.SqsSettings;
import dev.courier.sqs.SqsTopology;
import dev.courier.testsupport.ElasticMqServer;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
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
          settings);
      assertThrows(RejectedExecutionException.class, () -> new SqsReceiver(ctx, url, queue, 4, d -> { }));
      List<String> left = Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
          .filter(n -> n.startsWith("courier-sqs-poll-" + queue)).toList();
      assertTrue(left.isEmpty(), "pollers left running: " + left);
    } finally {
      io.shutdownNow();
    }
  }
}
