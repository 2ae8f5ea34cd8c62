package dev.courier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.testsupport.CoreTestTransport;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("subscribed and unsubscribed events")
class SubscriptionEventsTest {
  /** Each subscription's events, in order, as one listener heard them. */
  private static class Recorder implements CourierListener {
    final Map<Subscription, List<String>> heard = new ConcurrentHashMap<>();

    @Override
    public void subscribed(Subscription s) {
      heard.computeIfAbsent(s, k -> new ArrayList<>()).add("subscribed");
    }

    @Override
    public void unsubscribed(Subscription s) {
      heard.computeIfAbsent(s, k -> new ArrayList<>()).add("unsubscribed");
    }
  }

  private static Courier courier(CoreTestTransport transport) {
    return Courier.builder().transport(transport).build();
  }

  private static Subscription subscribe(Courier courier, String topic) {
    return courier.subscribe(SubscriptionOptions.builder(topic, "billing").build(), d -> {});
  }

  @Test
  @DisplayName("a listener added late hears each open subscription once, also one its own callback opens meanwhile")
  void replayHearsEachOnce() {
    CoreTestTransport transport = CoreTestTransport.declaring(Capabilities.builder().build());
    try (Courier courier = courier(transport)) {
      List<Subscription> open = new ArrayList<>(List.of(subscribe(courier, "a"), subscribe(courier, "b")));
      // Opens a subscription from each of its first callbacks: had the replay walked the live set,
      // it would come across some of them after they were announced as new.
      AtomicInteger opened = new AtomicInteger();
      Recorder late = new Recorder() {
        @Override
        public void subscribed(Subscription s) {
          super.subscribed(s);
          int n = opened.incrementAndGet();
          if (n <= 8) {
            open.add(SubscriptionEventsTest.subscribe(courier, "c" + n));
          }
        }
      };
      courier.addListener(late);
      assertEquals(10, open.size());
      for (Subscription s : open) {
        assertEquals(List.of("subscribed"), late.heard.get(s), s.toString());
      }
    }
  }

  @Test
  @DisplayName("a subscription a late listener's callback closes before its replay is heard subscribed, then unsubscribed")
  void closedDuringReplayIsBalanced() {
    CoreTestTransport transport = CoreTestTransport.declaring(Capabilities.builder().build());
    try (Courier courier = courier(transport)) {
      List<Subscription> open = List.of(subscribe(courier, "a"), subscribe(courier, "b"), subscribe(courier, "c"));
      Recorder late = new Recorder() {
        @Override
        public void subscribed(Subscription s) {
          super.subscribed(s);
          open.forEach(Subscription::close); // the others too, replayed or not
        }
      };
      courier.addListener(late);
      for (Subscription s : open) {
        assertEquals(List.of("subscribed", "unsubscribed"), late.heard.get(s), s.toString());
      }
    }
  }

  @Test
  @DisplayName("a subscribe that passed its open check while close() began is closed, not left open")
  void subscribeRacingClose() {
    CoreTestTransport transport = CoreTestTransport.declaring(Capabilities.builder().build());
    Courier courier = courier(transport);
    Recorder events = new Recorder();
    courier.addListener(events);
    transport.onNextNaming(courier::close); // inside subscribe, after its open check
    assertThrows(CourierClosedException.class, () -> subscribe(courier, "orders"));
    assertTrue(transport.receivers().stream().allMatch(CoreTestTransport.TestReceiver::isClosed),
        "a receiver left open after close");
    events.heard.values().forEach(e -> assertEquals(List.of("subscribed", "unsubscribed"), e));
    assertFalse(courier.toString().contains("subscriptions=1"), courier.toString());
  }
}
