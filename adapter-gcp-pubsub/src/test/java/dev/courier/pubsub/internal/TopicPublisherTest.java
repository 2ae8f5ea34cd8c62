package dev.courier.pubsub.internal;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.api.gax.core.FixedExecutorProvider;
import com.google.cloud.pubsub.v1.Publisher;
import com.google.protobuf.ByteString;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.TopicName;
import dev.courier.CourierClosedException;
import dev.courier.pubsub.PubSubSettings;
import dev.courier.pubsub.PubSubTestSupport;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A topic's publisher")
class TopicPublisherTest {
  @Test
  @DisplayName("a keyed publish the client rejects (its scheduler shut down) fails its future as closed; nothing is thrown")
  void clientRejectsOnceItsSchedulerIsShutDown() throws Exception {
    PubSubSettings settings = PubSubTestSupport.settings().build();
    Clients clients = Clients.create(settings);
    ScheduledThreadPoolExecutor clientThreads = new ScheduledThreadPoolExecutor(1);
    ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);
    try {
      String topic = PubSubTestSupport.uniqueName("rejected");
      Publisher client = Publisher.newBuilder(TopicName.of(settings.projectId(), topic).toString())
          .setChannelProvider(clients.channelProvider())
          .setCredentialsProvider(clients.credentials())
          .setExecutorProvider(FixedExecutorProvider.create(clientThreads))
          .setEnableMessageOrdering(true)
          .build();
      clientThreads.shutdown(); // as when the transport closes while a publish is under way
      TopicPublisher publisher = new TopicPublisher(topic, client, Runnable::run, scheduler);
      CompletableFuture<Void> result = new CompletableFuture<>();
      publisher.publish(PubsubMessage.newBuilder().setOrderingKey("k").setData(ByteString.copyFromUtf8("x")).build(), result);
      ExecutionException e = assertThrows(ExecutionException.class, () -> result.get(5, TimeUnit.SECONDS));
      assertInstanceOf(CourierClosedException.class, e.getCause());
    } finally {
      scheduler.shutdownNow();
      clients.close();
    }
  }
}
