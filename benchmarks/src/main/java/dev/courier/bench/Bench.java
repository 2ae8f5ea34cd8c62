package dev.courier.bench;

import dev.courier.Courier;
import dev.courier.bench.driver.Workload;
import dev.courier.inmemory.InMemoryTransport;
import java.util.function.Consumer;

/**
 * In-memory: publish → handle → ack through Courier's in-memory broker, 64-byte messages, at most
 * {@value #BACKLOG} published but not yet handled (so the pipeline is measured, not a backlog);
 * one subscriber, four competing subscribers in one group, and the ceiling: the same messages
 * through a plain JDK hand-off ({@link JdkHandoff}, a queue of {@value #BACKLOG}). Usage:
 * {@code benchmarks/run inmemory [key=value…]} ({@link Options}).
 */
public final class Bench {
  static final int PAYLOAD_BYTES = 64;
  static final int BACKLOG = 4096;
  static final Workload.Settings SETTINGS = new Workload.Settings(PAYLOAD_BYTES, BACKLOG, BACKLOG, false);

  private Bench() {}

  public static void main(String[] args) throws Exception {
    Options options = Options.parse(args, 2_000_000);
    new Harness(options)
        .workload("payloadBytes", PAYLOAD_BYTES).workload("maxBacklog", BACKLOG).workload("maxInFlight", 1024)
        .side("courier", "Courier's in-memory broker, 1 subscriber (concurrency 1, maxInFlight 1,024)",
            Harness.Side.of(courier(1, c -> {}), SETTINGS))
        .side("courier4", "the same, 4 competing subscribers in one group",
            Harness.Side.of(courier(4, c -> {}), SETTINGS))
        .side("jdkHandoff", "one producer thread, one consumer thread, an ArrayBlockingQueue of " + BACKLOG,
            Harness.Side.of(new JdkHandoff(BACKLOG), SETTINGS))
        .ratio("courierToHandoff", "courier", "jdkHandoff")
        .ratio("fourToOne", "courier4", "courier")
        .run();
  }

  /** Courier on a fresh in-memory broker with {@code subscribers} competing subscriptions; {@code setup} binds what is measured. */
  static CourierEndpoint courier(int subscribers, Consumer<Courier> setup) {
    Courier courier = Courier.builder().transport(InMemoryTransport.builder().maxGroupBacklog(1 << 16).build()).build();
    setup.accept(courier);
    return new CourierEndpoint(courier).subscribers(subscribers).subscription(b -> b.maxInFlight(1024));
  }
}
