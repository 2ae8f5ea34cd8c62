package dev.courier.spi.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.Message;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayName("SettleOnceDelivery")
class SettleOnceDeliveryTest {
  private static final ExecutorService pool = Executors.newFixedThreadPool(4);

  @AfterAll
  static void shutdown() {
    pool.shutdownNow();
  }

  /** Records every hook call; release and defer keep their own hooks only when asked. */
  static class Recording extends SettleOnceDelivery {
    final List<String> calls = java.util.Collections.synchronizedList(new ArrayList<>());
    final boolean ownHooks;

    Recording(boolean ownHooks, AtomicBoolean closed) {
      super(closed::get);
      this.ownHooks = ownHooks;
    }

    Recording() {
      this(true, new AtomicBoolean());
    }

    @Override
    public Message message() {
      return Message.of(new byte[0]);
    }

    @Override
    public int deliveryCount() {
      return 1;
    }

    @Override
    protected void doAck() {
      calls.add("ack");
    }

    @Override
    protected void doNack(Duration delay) {
      calls.add("nack " + delay.toMillis());
    }

    @Override
    protected void doRelease() {
      if (ownHooks) {
        calls.add("release");
      } else {
        super.doRelease();
      }
    }

    @Override
    protected void doDefer(Duration delay) {
      if (ownHooks) {
        calls.add("defer " + delay.toMillis());
      } else {
        super.doDefer(delay);
      }
    }
  }

  @Nested
  @DisplayName("settling")
  class Settling {
    @Test
    @DisplayName("only the first of ack, nack, release and defer reaches the adapter")
    void onlyFirstSettlementCounts() {
      Recording d = new Recording();
      d.nack(Duration.ofSeconds(2));
      d.ack();
      d.release();
      d.defer(Duration.ofSeconds(1));
      d.nack(Duration.ZERO);
      assertEquals(List.of("nack 2000"), d.calls);
      assertTrue(d.isOver());
    }

    @Test
    @DisplayName("each kind of settlement calls its own hook, with null and negative delays as zero")
    void eachSettlementCallsItsHook() {
      Recording a = new Recording();
      a.ack();
      Recording n = new Recording();
      n.nack(null);
      Recording r = new Recording();
      r.release();
      Recording f = new Recording();
      f.defer(Duration.ofMillis(-5));
      assertEquals(List.of("ack"), a.calls);
      assertEquals(List.of("nack 0"), n.calls);
      assertEquals(List.of("release"), r.calls);
      assertEquals(List.of("defer 0"), f.calls);
    }

    @Test
    @DisplayName("release and defer are nacks unless the adapter says otherwise")
    void releaseAndDeferDefaultToNack() {
      Recording r = new Recording(false, new AtomicBoolean());
      r.release();
      Recording f = new Recording(false, new AtomicBoolean());
      f.defer(Duration.ofMillis(300));
      assertEquals(List.of("nack 0"), r.calls);
      assertEquals(List.of("nack 300"), f.calls);
    }

    @Test
    @DisplayName("settling after the owner closed does nothing, and still counts as the one settlement")
    void settlingAfterCloseIsANoOp() {
      AtomicBoolean closed = new AtomicBoolean();
      Recording d = new Recording(true, closed);
      closed.set(true);
      d.ack();
      closed.set(false);
      d.nack(Duration.ZERO);
      assertEquals(List.of(), d.calls);
      assertTrue(d.isOver());
    }

    @Test
    @DisplayName("a started delivery settles; a delivery settled before it started still starts (the core skips nothing)")
    void startedAndSettled() {
      Recording d = new Recording();
      assertTrue(d.tryStart());
      assertTrue(d.isStarted());
      d.ack();
      assertFalse(d.isStarted());
      assertEquals(List.of("ack"), d.calls);
      Recording early = new Recording();
      early.ack();
      assertTrue(early.tryStart());
      assertFalse(early.isWithdrawn());
    }
  }

  @Nested
  @DisplayName("withdrawal")
  class Withdrawal {
    @Test
    @DisplayName("an unstarted delivery can be withdrawn once; it then never starts and settling it does nothing")
    void withdrawnNeverStartsNorSettles() {
      Recording d = new Recording();
      assertFalse(d.isWithdrawn());
      assertTrue(d.withdraw());
      assertFalse(d.withdraw());
      assertTrue(d.isWithdrawn());
      assertFalse(d.tryStart());
      d.ack();
      d.release();
      assertEquals(List.of(), d.calls);
    }

    @Test
    @DisplayName("a started delivery cannot be withdrawn")
    void startedCannotBeWithdrawn() {
      Recording d = new Recording();
      assertTrue(d.tryStart());
      assertTrue(d.tryStart(), "tryStart again on a started delivery still says started");
      assertFalse(d.withdraw());
      assertFalse(d.isWithdrawn());
      d.ack();
      assertEquals(List.of("ack"), d.calls);
    }

    @Test
    @DisplayName("a delivery its adapter reports withdrawn (say, its channel is gone) does not start")
    void adapterReportedWithdrawalStopsStart() {
      AtomicBoolean gone = new AtomicBoolean(true);
      Recording d = new Recording() {
        @Override
        public boolean isWithdrawn() {
          return gone.get() || super.isWithdrawn();
        }
      };
      assertFalse(d.tryStart());
      gone.set(false);
      assertTrue(d.tryStart());
    }

    @Test
    @DisplayName("a settled delivery can be neither withdrawn nor taken back")
    void settledStaysSettled() {
      Recording d = new Recording();
      d.ack();
      assertFalse(d.withdraw());
      assertFalse(d.takeBack());
      assertFalse(d.isWithdrawn());
    }

    @Test
    @DisplayName("taking back works on started and unstarted deliveries, once, and turns settlement into a no-op")
    void takeBackStartedOrNot() {
      Recording unstarted = new Recording();
      assertTrue(unstarted.takeBack());
      assertFalse(unstarted.takeBack());
      assertFalse(unstarted.tryStart());
      Recording started = new Recording();
      assertTrue(started.tryStart());
      assertTrue(started.takeBack());
      assertTrue(started.isWithdrawn());
      assertFalse(started.isStarted());
      started.nack(Duration.ZERO);
      assertEquals(List.of(), started.calls);
    }
  }

  @Nested
  @DisplayName("under races")
  class Races {
    private static final int ROUNDS = 2_000;

    /** Runs the actions on the pool, released together by a latch, and waits for all. */
    private void race(Recording d, List<Consumer<Recording>> actions) throws Exception {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<?>> done = new ArrayList<>();
      for (Consumer<Recording> a : actions) {
        done.add(pool.submit(() -> {
          go.await();
          a.accept(d);
          return null;
        }));
      }
      go.countDown();
      for (Future<?> f : done) {
        f.get(30, TimeUnit.SECONDS);
      }
    }

    @Test
    @DisplayName("of concurrent ack, nack, release and defer, exactly one reaches the adapter")
    void concurrentSettlementsSettleOnce() throws Exception {
      for (int i = 0; i < ROUNDS; i++) {
        Recording d = new Recording();
        race(d, List.of(Recording::ack, r -> r.nack(Duration.ofMillis(1)), Recording::release,
            r -> r.defer(Duration.ofMillis(2))));
        assertEquals(1, d.calls.size(), "round " + i + ": " + d.calls);
      }
    }

    @Test
    @DisplayName("withdrawal races start: exactly one of them wins, and a withdrawn delivery never settles")
    void withdrawXorStart() throws Exception {
      AtomicInteger started = new AtomicInteger();
      AtomicInteger withdrawn = new AtomicInteger();
      for (int i = 0; i < ROUNDS; i++) {
        Recording d = new Recording();
        AtomicBoolean s = new AtomicBoolean();
        AtomicBoolean w = new AtomicBoolean();
        race(d, List.of(r -> {
          if (r.tryStart()) {
            s.set(true);
            r.ack();
          }
        }, r -> w.set(r.withdraw())));
        assertTrue(s.get() ^ w.get(), "round " + i + ": started=" + s + " withdrawn=" + w);
        assertEquals(w.get(), d.isWithdrawn());
        assertEquals(s.get() ? List.of("ack") : List.of(), d.calls, "round " + i);
        (s.get() ? started : withdrawn).incrementAndGet();
      }
      assertEquals(ROUNDS, started.get() + withdrawn.get());
    }

    @Test
    @DisplayName("taking back races settling: either the adapter hears the settlement or the delivery is taken back, never both")
    void takeBackXorSettle() throws Exception {
      for (int i = 0; i < ROUNDS; i++) {
        Recording d = new Recording();
        AtomicBoolean taken = new AtomicBoolean();
        race(d, List.of(r -> {
          r.tryStart();
          r.nack(Duration.ZERO);
        }, r -> taken.set(r.takeBack())));
        assertTrue(taken.get() ^ d.calls.size() == 1, "round " + i + ": taken=" + taken + " calls=" + d.calls);
      }
    }
  }
}
