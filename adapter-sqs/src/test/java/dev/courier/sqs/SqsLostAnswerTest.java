package dev.courier.sqs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.courier.Courier;
import dev.courier.Idempotency;
import dev.courier.Message;
import dev.courier.SubscriptionOptions;
import dev.courier.idempotency.InMemoryIdempotencyStore;
import dev.courier.sqs.internal.WireFormat;
import dev.courier.testsupport.ElasticMqServer;
import dev.courier.testsupport.Poll;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * What a publish whose answer is lost does on a standard queue: SQS stored the message, the AWS SDK
 * resends it (its default retries), SQS stores it again, and the publish is confirmed. At least
 * once, as the TCK's restart rule TCK-9.8 sees it when ElasticMQ stops between storing a batch and
 * answering it; both copies carry the message's id, so idempotent consumption hides the second.
 */
@DisplayName("SQS publish whose answer is lost")
class SqsLostAnswerTest {
  private final ElasticMqServer server = ElasticMqServer.shared();

  @Test
  @DisplayName("is resent by the SDK and stored twice, both copies with the message's id, and an idempotent subscription hands it to the handler once")
  void lostAnswerIsResentAndDeduplicatedByIdempotency() throws Exception {
    String topic = "t-lost-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xFFFFFFFFFFL);
    String group = "g";
    Message m = Message.of("stored twice".getBytes(StandardCharsets.UTF_8));
    try (AnswerDroppingProxy proxy = AnswerDroppingProxy.start(server.port(), "AmazonSQS.SendMessageBatch", 1);
        Courier courier = Courier.builder().transport(SqsTransport.create(SqsSettings.builder()
            .endpoint(proxy.endpoint()).credentials("test", "test").topology(SqsTopology.QUEUE)
            .waitTime(Duration.ofSeconds(1)).publishTimeout(Duration.ofSeconds(10)).build())).build();
        SqsClient raw = SqsClient.builder().httpClient(UrlConnectionHttpClient.create()).region(Region.US_EAST_1)
            .endpointOverride(URI.create(server.endpoint()))
            .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
            .build()) {
      courier.admin().ensureGroup(topic, group);

      courier.publisher().publish(topic, m).get(15, TimeUnit.SECONDS); // confirmed: the resend's answer
      assertEquals(1, proxy.dropped(), "answers dropped");
      assertEquals(2, proxy.seen(), "SendMessageBatch calls that reached SQS (the first, then the SDK's resend)");

      String url = raw.getQueueUrl(r -> r.queueName(topic)).queueUrl();
      List<software.amazon.awssdk.services.sqs.model.Message> copies = new ArrayList<>();
      Poll.await(() -> {
        copies.addAll(raw.receiveMessage(r -> r.queueUrl(url).maxNumberOfMessages(10).visibilityTimeout(0)
            .messageAttributeNames("All")).messages());
        return copies.stream().map(c -> c.messageId()).distinct().count() >= 2;
      }, "two copies in the queue");
      List<software.amazon.awssdk.services.sqs.model.Message> distinct = List.copyOf(copies.stream()
          .collect(Collectors.toMap(c -> c.messageId(), c -> c, (a, b) -> a)).values());
      assertEquals(2, distinct.size(), "SQS messages stored for one publish");
      for (var c : distinct) {
        assertEquals(m.id(), WireFormat.decode(topic, c.messageId(), c.body(), c.messageAttributes(), 0)
            .message().id(), "the Courier id of SQS message " + c.messageId());
      }

      Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
      courier.subscribe(SubscriptionOptions.builder(topic, group)
          .idempotency(Idempotency.using(InMemoryIdempotencyStore.create())).build(),
          d -> calls.computeIfAbsent(d.message().id(), k -> new AtomicInteger()).incrementAndGet());
      Poll.await(() -> calls.containsKey(m.id()) && queueIsEmpty(raw, url), "both copies settled");
      assertEquals(1, calls.get(m.id()).get(), "handler calls for the message");
    }
  }

  private static boolean queueIsEmpty(SqsClient raw, String url) {
    Map<QueueAttributeName, String> a = raw.getQueueAttributes(r -> r.queueUrl(url).attributeNames(
        QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES,
        QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE)).attributes();
    return a.values().stream().allMatch("0"::equals);
  }
}
