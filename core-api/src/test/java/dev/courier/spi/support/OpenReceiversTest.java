package dev.courier.spi.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.spi.Receiver;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("OpenReceivers")
class OpenReceiversTest {
  /** Counts its closes; optionally fails each one. */
  static final class CountingReceiver implements Receiver {
    final AtomicInteger closes = new AtomicInteger();
    final boolean failing;

    CountingReceiver(boolean failing) {
      this.failing = failing;
    }

    CountingReceiver() {
      this(false);
    }

    @Override
    public void stopFetching() {}

    @Override
    public void close() {
      closes.incrementAndGet();
      if (failing) {
        throw new IllegalStateException("boom");
      }
    }
  }

  private static OpenReceivers<CountingReceiver> receivers() {
    return new OpenReceivers<>(() -> new IllegalStateException("the test transport is closed"));
  }

  @Test
  @DisplayName("checkOpen passes while open and throws the adapter's exception once closed")
  void checkOpen() {
    OpenReceivers<CountingReceiver> open = receivers();
    open.checkOpen();
    assertFalse(open.isClosed());
    assertTrue(open.close());
    assertTrue(open.isClosed());
    IllegalStateException e = assertThrows(IllegalStateException.class, open::checkOpen);
    assertEquals("the test transport is closed", e.getMessage());
  }

  @Test
  @DisplayName("add after close closes the receiver, forgets it and throws")
  void addAfterClose() {
    OpenReceivers<CountingReceiver> open = receivers();
    open.close();
    CountingReceiver r = new CountingReceiver();
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> open.add(r));
    assertEquals("the test transport is closed", e.getMessage());
    assertEquals(1, r.closes.get());
    assertEquals(List.of(), open.snapshot());
  }

  @Test
  @DisplayName("close closes every registered receiver once; a second close does nothing")
  void closeOnce() {
    OpenReceivers<CountingReceiver> open = receivers();
    CountingReceiver a = open.add(new CountingReceiver());
    CountingReceiver b = open.add(new CountingReceiver());
    CountingReceiver removed = open.add(new CountingReceiver());
    open.remove(removed);
    assertTrue(open.close());
    assertFalse(open.close());
    assertEquals(1, a.closes.get());
    assertEquals(1, b.closes.get());
    assertEquals(0, removed.closes.get());
    assertEquals(2, open.snapshot().size(), "closed receivers stay registered until removed");
  }

  @Test
  @DisplayName("a receiver failing to close does not stop the others from closing")
  void failingCloseGoesOn() {
    OpenReceivers<CountingReceiver> open = receivers();
    List<CountingReceiver> all = List.of(new CountingReceiver(), new CountingReceiver(true), new CountingReceiver(true),
        new CountingReceiver());
    all.forEach(open::add);
    assertTrue(open.close());
    all.forEach(r -> assertEquals(1, r.closes.get()));
  }

  @Test
  @DisplayName("removeIf forgets what the filter accepts")
  void removeIf() {
    OpenReceivers<CountingReceiver> open = receivers();
    CountingReceiver a = open.add(new CountingReceiver());
    CountingReceiver b = open.add(new CountingReceiver());
    b.close();
    open.removeIf(r -> r.closes.get() > 0);
    assertEquals(List.of(a), open.snapshot());
  }

  @Test
  @DisplayName("a receive racing close: every receiver add accepted or refused ends closed")
  void receiveRacingClose() throws Exception {
    CyclicBarrier start = new CyclicBarrier(2);
    for (int i = 0; i < 2_000; i++) {
      OpenReceivers<CountingReceiver> open = receivers();
      CountingReceiver r = new CountingReceiver();
      AtomicReference<Object> added = new AtomicReference<>();
      Thread receive = new Thread(() -> {
        await(start);
        try {
          added.set(open.add(r));
        } catch (IllegalStateException e) {
          added.set(e);
        }
      });
      Thread close = new Thread(() -> {
        await(start);
        open.close();
      });
      receive.start();
      close.start();
      receive.join();
      close.join();
      assertTrue(r.closes.get() >= 1, "iteration " + i + ": a receiver outlived the close");
      if (added.get() instanceof IllegalStateException) {
        assertFalse(open.snapshot().contains(r), "iteration " + i + ": a refused receiver stayed registered");
      } else {
        assertSame(r, added.get());
      }
    }
  }

  private static void await(CyclicBarrier barrier) {
    try {
      barrier.await();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
