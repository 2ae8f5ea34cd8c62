package dev.courier.pubsub.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.api.core.ApiFuture;
import com.google.api.core.SettableApiFuture;
import com.google.api.gax.core.FixedExecutorProvider;
import com.google.cloud.pubsub.v1.Publisher;
import com.google.protobuf.ByteString;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.TopicName;
import dev.courier.CourierClosedException;
import dev.courier.pubsub.PubSubSettings;
import dev.courier.pubsub.PubSubTestSupport;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
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
      TopicPublisher publisher = new TopicPublisher(topic, PublishClient.of(client), Runnable::run, scheduler);
      CompletableFuture<Void> result = new CompletableFuture<>();
      publisher.publish(PubsubMessage.newBuilder().setOrderingKey("k").setData(ByteString.copyFromUtf8("x")).build(), result);
      ExecutionException e = assertThrows(ExecutionException.class, () -> result.get(5, TimeUnit.SECONDS));
      assertInstanceOf(CourierClosedException.class, e.getCause());
    } finally {
      scheduler.shutdownNow();
      clients.close();
    }
  }

  // The tests below drive the key rules through a client model, for orders of events a real client
  // produces only by timing luck: its batch alarm passing a key over, its pause of a key landing late.

  @Test
  @DisplayName("a recovering key whose earlier message sits in a batch the client's alarm passed over is flushed, so the messages waiting behind it go")
  void recoveringKeyFlushesABatchTheAlarmPassedOver() {
    ModelClient client = new ModelClient();
    TopicPublisher publisher = new TopicPublisher("t", client, client.callbacks::add, new Captured());
    CompletableFuture<Void> first = publish(publisher, "first");
    client.flush(); // the alarm
    CompletableFuture<Void> second = publish(publisher, "second"); // in the batch, the alarm already fired
    client.refuse("first"); // pauses the key
    CompletableFuture<Void> third = publish(publisher, "third"); // issued after the failure: waits behind "second"
    client.runCallbacks();
    assertTrue(first.isCompletedExceptionally(), "the refused message fails");
    assertTrue(second.isCompletedExceptionally(),
        "the message left in a batch the alarm passed over was neither sent nor failed, so the key stalls: " + client.log);
    assertTrue(client.sent.containsKey("third"), "the message issued after the failure was never sent: " + client.log);
    client.confirmAll();
    assertTrue(third.isDone() && !third.isCompletedExceptionally(), "the message issued after the failure is confirmed");
  }

  @Test
  @DisplayName("a forget of an idle key that waited while the key was used again and failed again does not forget the key early")
  void staleForgetKeepsTheKey() {
    ModelClient client = new ModelClient();
    Captured scheduler = new Captured();
    TopicPublisher publisher = new TopicPublisher("t", client, client.callbacks::add, scheduler);
    publish(publisher, "first");
    client.flush();
    client.refuse("first");
    assertEquals(1, scheduler.tasks.size(), "an idle recovering key is forgotten later");
    Runnable stale = scheduler.tasks.get(0); // as if it had started and waited for the lock
    publish(publisher, "second"); // cancels that forget, too late; goes alone
    client.refuse("second");
    stale.run();
    client.pause("k"); // the client's late pause after "second"'s failure
    CompletableFuture<Void> third = publish(publisher, "third");
    client.runCallbacks();
    client.confirmAll();
    assertTrue(third.isDone() && !third.isCompletedExceptionally(),
        "the publish issued after the failures completed was sent, not cancelled by the late pause: " + client.log);
  }

  private static CompletableFuture<Void> publish(TopicPublisher publisher, String id) {
    CompletableFuture<Void> result = new CompletableFuture<>();
    publisher.publish(PubsubMessage.newBuilder().setOrderingKey("k").setMessageId(id).build(), result);
    return result;
  }

  /**
   * The client as TopicPublisher sees it, for one key: publishes gather in a batch until a flush
   * (its alarm, or publishAllOutstanding); a refusal pauses the key, and while it is paused a
   * publish, and a flushed batch, are cancelled until resumePublish.
   */
  private static final class ModelClient implements PublishClient {
    final Queue<Runnable> callbacks = new ArrayDeque<>(); // the futures' callbacks, run when the test says
    final List<String> log = new ArrayList<>();
    final Map<String, SettableApiFuture<String>> batch = new LinkedHashMap<>();
    final Map<String, SettableApiFuture<String>> sent = new LinkedHashMap<>();
    boolean paused;

    @Override
    public ApiFuture<String> publish(PubsubMessage message) {
      log.add("publish " + message.getMessageId());
      SettableApiFuture<String> f = SettableApiFuture.create();
      if (paused) {
        f.setException(new CancellationException("paused"));
      } else {
        batch.put(message.getMessageId(), f);
      }
      return f;
    }

    @Override
    public void resumePublish(String key) {
      log.add("resume");
      paused = false;
    }

    @Override
    public void publishAllOutstanding() {
      log.add("flush");
      flush();
    }

    void flush() {
      Map<String, SettableApiFuture<String>> flushed = new LinkedHashMap<>(batch);
      batch.clear();
      flushed.forEach((id, f) -> {
        if (paused) {
          f.setException(new CancellationException("paused"));
        } else {
          sent.put(id, f);
        }
      });
    }

    void pause(String key) {
      log.add("pause");
      paused = true;
    }

    /** Pub/Sub refuses a sent message: its future fails, then the client pauses the key, as the client does. */
    void refuse(String id) {
      log.add("refuse " + id);
      sent.remove(id).setException(new IllegalStateException("NOT_FOUND"));
      runCallbacks();
      pause("k");
    }

    void confirmAll() {
      while (!sent.isEmpty()) {
        for (String id : List.copyOf(sent.keySet())) {
          log.add("confirm " + id);
          sent.remove(id).set(id);
        }
        runCallbacks();
      }
    }

    void runCallbacks() {
      for (Runnable r = callbacks.poll(); r != null; r = callbacks.poll()) {
        r.run();
      }
    }
  }

  /** Runs nothing: keeps what is scheduled, so a test can run it when it likes. */
  private static final class Captured extends ScheduledThreadPoolExecutor {
    final List<Runnable> tasks = new ArrayList<>();

    Captured() {
      super(1, r -> {
        Thread t = new Thread(r, "captured-scheduler");
        t.setDaemon(true); // never runs a task; must not keep anything alive
        return t;
      });
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit) {
      tasks.add(task);
      return super.schedule(() -> { }, 1, TimeUnit.DAYS);
    }
  }
}
