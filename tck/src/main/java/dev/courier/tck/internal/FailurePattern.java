package dev.courier.tck.internal;

import dev.courier.Delivery;
import dev.courier.Message;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The messages and handler of a rule under load with failures: message {@code n} of {@code count}
 * has key {@code key-(n % keys)}; the handler fails the first attempt of every 10th message and
 * every attempt of every 97th, and notes each message a subscriber handled first (of all
 * subscribers) after it had handled a later one of the same key. Thread-safe.
 */
public final class FailurePattern {
  private static final String INDEX = "tck-index";

  private final int keys;
  private final List<Message> messages = new ArrayList<>();
  private final Set<String> succeeding = new LinkedHashSet<>();
  private final Set<String> poison = new LinkedHashSet<>();
  private final Set<String> seen = new HashSet<>();
  private final int[][] highest; // [subscriber][key]: the latest message first handled there
  private final List<String> overtaken = new ArrayList<>();

  public FailurePattern(int count, int keys, int subscribers) {
    this.keys = keys;
    this.highest = new int[subscribers][keys];
    for (int[] perKey : highest) {
      Arrays.fill(perKey, -1);
    }
    for (int n = 0; n < count; n++) {
      Message m = Message.builder().key("key-" + (n % keys)).header(INDEX, Integer.toString(n))
          .payload(("pattern-" + n).getBytes(StandardCharsets.UTF_8)).build();
      messages.add(m);
      (alwaysFails(n) ? poison : succeeding).add(m.id());
    }
  }

  private static boolean alwaysFails(int n) {
    return n % 97 == 0;
  }

  /** Every message, in publish order. */
  public List<Message> messages() {
    return List.copyOf(messages);
  }

  /** The messages the handler eventually handles: all but every 97th. */
  public Set<String> succeeding() {
    return Set.copyOf(succeeding);
  }

  /** The messages the handler always fails, which the policy dead-letters. */
  public Set<String> poison() {
    return Set.copyOf(poison);
  }

  /** The work of subscriber {@code subscriber}'s handler: notes the call's order, then fails as the pattern says. */
  public void handle(int subscriber, Delivery delivery) {
    int n = Integer.parseInt(delivery.message().headers().get(INDEX).orElseThrow());
    noteFirstHandling(subscriber, delivery.message().id(), n);
    if (alwaysFails(n)) {
      throw new IllegalStateException("tck: message #" + n + " fails on every attempt, on purpose");
    }
    if (n % 10 == 0 && delivery.attempt() == 1) {
      throw new IllegalStateException("tck: message #" + n + " fails its first attempt, on purpose");
    }
  }

  private synchronized void noteFirstHandling(int subscriber, String id, int n) {
    if (!seen.add(id)) {
      return; // a redelivery, which may come after later messages of its key
    }
    int key = n % keys;
    int[] latest = highest[subscriber];
    if (n < latest[key]) {
      overtaken.add("#" + n + " after #" + latest[key] + " (key-" + key + ", subscriber " + subscriber + ")");
    }
    latest[key] = Math.max(latest[key], n);
  }

  /** Messages a subscriber first handled after a later one of their key, as "#n after #m (key, subscriber)". */
  public synchronized List<String> overtaken() {
    return List.copyOf(overtaken);
  }
}
