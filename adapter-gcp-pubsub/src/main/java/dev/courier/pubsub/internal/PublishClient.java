package dev.courier.pubsub.internal;

import com.google.api.core.ApiFuture;
import com.google.cloud.pubsub.v1.Publisher;
import com.google.pubsub.v1.PubsubMessage;

/** The calls {@link TopicPublisher} makes on the client {@link Publisher}: a seam so its key rules can be tested without timing luck. */
interface PublishClient {
  ApiFuture<String> publish(PubsubMessage message);

  void resumePublish(String key);

  void publishAllOutstanding();

  static PublishClient of(Publisher publisher) {
    return new PublishClient() {
      @Override
      public ApiFuture<String> publish(PubsubMessage message) {
        return publisher.publish(message);
      }

      @Override
      public void resumePublish(String key) {
        publisher.resumePublish(key);
      }

      @Override
      public void publishAllOutstanding() {
        publisher.publishAllOutstanding();
      }
    };
  }
}
