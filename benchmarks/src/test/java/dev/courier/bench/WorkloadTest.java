package dev.courier.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.courier.bench.driver.Endpoint;
import dev.courier.bench.driver.Workload;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class WorkloadTest {
  /** Delivers each message to the consumer and confirms it at once, remembering each payload's publish time. */
  private static final class Recording implements Endpoint {
    final Map<Integer, Long> stamps = new ConcurrentHashMap<>();
    private volatile Consumer<ByteBuffer> handler;

    @Override
    public String create(boolean consumed) {
      return "t";
    }

    @Override
    public void publish(String destination, int index, byte[] payload, Confirm confirm) {
      stamps.put(index, ByteBuffer.wrap(payload).getLong(4));
      Consumer<ByteBuffer> h = handler;
      if (h != null) {
        h.accept(ByteBuffer.wrap(payload));
      }
      confirm.done(null);
    }

    @Override
    public AutoCloseable consume(String destination, Consumer<ByteBuffer> handler) {
      this.handler = handler;
      return () -> this.handler = null;
    }
  }

  @Test
  @DisplayName("the fixed-rate run times each message from its scheduled send time, not from when the sender got to it"
      + " (no coordinated omission)")
  void fixedRateStampsTheSchedule() throws Exception {
    Recording endpoint = new Recording();
    int rate = 10_000;
    Map<String, Double> out = Workload.fixedRate(endpoint, new Workload.Settings(16, 4, 0, false), rate,
        Duration.ofMillis(20));
    assertEquals(200.0, out.get("messages"));
    long interval = 1_000_000_000L / rate;
    long first = endpoint.stamps.get(1);
    for (int i = 2; i <= 200; i++) {
      assertEquals(first + (i - 1) * interval, endpoint.stamps.get(i), "message " + i + "'s publish time");
    }
  }
}
