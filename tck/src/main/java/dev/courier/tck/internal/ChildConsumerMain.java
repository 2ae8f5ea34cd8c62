package dev.courier.tck.internal;

import dev.courier.Courier;
import dev.courier.SubscriptionOptions;
import dev.courier.config.CourierConfig;
import java.io.PrintStream;
import java.util.concurrent.CountDownLatch;

/**
 * The process a {@link ChildJvmConsumer} starts: {@code topic group key=value...}. Builds a Courier
 * from the configuration given, subscribes to the group and blocks every handler forever, printing
 * {@code SUBSCRIBED} once and {@code STARTED <id>} per handler call on standard output.
 */
public final class ChildConsumerMain {
  static final String SUBSCRIBED = "SUBSCRIBED";
  static final String STARTED = "STARTED ";

  private ChildConsumerMain() {}

  public static void main(String[] args) throws InterruptedException {
    CourierConfig.Builder config = CourierConfig.builder();
    for (int i = 2; i < args.length; i++) {
      int eq = args[i].indexOf('=');
      config.set(args[i].substring(0, eq), args[i].substring(eq + 1));
    }
    PrintStream out = System.out;
    CountDownLatch never = new CountDownLatch(1);
    Courier courier = Courier.fromConfig(config.build());
    courier.subscribe(SubscriptionOptions.builder(args[0], args[1]).concurrency(2).maxInFlight(8).build(), d -> {
      synchronized (out) {
        out.println(STARTED + d.message().id());
        out.flush();
      }
      while (true) {
        try {
          never.await();
        } catch (InterruptedException ignored) {
          // a crashed process does not get to finish its handlers
        }
      }
    });
    synchronized (out) {
      out.println(SUBSCRIBED);
      out.flush();
    }
    never.await();
  }
}
