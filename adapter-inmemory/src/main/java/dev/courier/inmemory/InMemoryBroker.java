package dev.courier.inmemory;

import dev.courier.Message;
import dev.courier.PublishException;
import dev.courier.spi.support.Threads;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * An in-process broker: topics, each with durable groups that keep every message published after
 * they were created until it is acked. Several {@link InMemoryTransport}s can share one broker by
 * name ({@link #named}), like services sharing a real broker; an unnamed broker belongs to one
 * transport. Thread-safe; uses one daemon thread for delays and ack timeouts.
 */
public final class InMemoryBroker {
  private static final Map<String, InMemoryBroker> NAMED = new ConcurrentHashMap<>();

  final int maxGroupBacklog;
  final long ackTimeoutNanos;
  final ScheduledThreadPoolExecutor scheduler;
  private final Map<String, Topic> topics = new ConcurrentHashMap<>();
  private volatile boolean running = true;

  /** A topic's groups; the array is replaced on change, so publishing iterates without locks. */
  private static final class Topic {
    final Map<String, GroupQueue> byName = new ConcurrentHashMap<>();
    volatile GroupQueue[] groups = new GroupQueue[0];

    GroupQueue group(InMemoryBroker broker, String topic, String group) {
      GroupQueue q = byName.get(group);
      if (q != null) {
        return q;
      }
      synchronized (this) {
        q = byName.get(group);
        if (q == null) {
          q = new GroupQueue(broker, topic, group);
          // Publish the array before the map: whoever finds the group by name (and then returns
          // from ensureGroup) must also see it in the fan-out array, or a send could miss it.
          GroupQueue[] grown = java.util.Arrays.copyOf(groups, groups.length + 1);
          grown[groups.length] = q;
          groups = grown;
          byName.put(group, q);
        }
        return q;
      }
    }
  }

  InMemoryBroker(int maxGroupBacklog, Duration ackTimeout) {
    this.maxGroupBacklog = maxGroupBacklog;
    this.ackTimeoutNanos = ackTimeout.toNanos();
    this.scheduler = new ScheduledThreadPoolExecutor(1, Threads.factory("courier-inmemory-scheduler", true));
    scheduler.setRemoveOnCancelPolicy(true);
    long scan = Math.max(TimeUnit.MILLISECONDS.toNanos(10), ackTimeoutNanos / 10);
    scheduler.scheduleWithFixedDelay(this::expireUnacked, scan, scan, TimeUnit.NANOSECONDS);
  }

  /**
   * The broker registered under {@code name}, created with these limits on first use. A named
   * broker lives until {@link #discard}; later callers get it with its original limits.
   */
  public static InMemoryBroker named(String name, int maxGroupBacklog, Duration ackTimeout) {
    Objects.requireNonNull(name, "name");
    return NAMED.computeIfAbsent(name, n -> new InMemoryBroker(maxGroupBacklog, ackTimeout));
  }

  /** Forgets a named broker and stops its thread; transports still using it keep their reference. */
  public static void discard(String name) {
    InMemoryBroker b = NAMED.remove(name);
    if (b != null) {
      b.scheduler.shutdownNow();
    }
  }

  /**
   * Simulates an outage, for tests of what applications do when their broker goes away: until
   * {@link #start()}, publishing fails with a {@link PublishException} and nothing is delivered;
   * every delivery not yet settled returns to its group (its late ack or nack does nothing), as
   * when a real broker drops its connections. Stored messages are kept. Idempotent.
   */
  public void stop() {
    running = false;
    for (Topic t : topics.values()) {
      for (GroupQueue q : t.groups) {
        q.returnUnsettled();
      }
    }
  }

  /** Ends a {@link #stop()}: subscriptions resume by themselves. Idempotent. */
  public void start() {
    running = true;
    for (Topic t : topics.values()) {
      for (GroupQueue q : t.groups) {
        q.resume();
      }
    }
  }

  public boolean isRunning() {
    return running;
  }

  void checkRunning() {
    if (!running) {
      throw new PublishException("the in-memory broker is stopped (InMemoryBroker.stop()); nothing was stored");
    }
  }

  void ensureTopic(String topic) {
    topics.computeIfAbsent(topic, t -> new Topic());
  }

  GroupQueue group(String topic, String group) {
    return topics.computeIfAbsent(topic, t -> new Topic()).group(this, topic, group);
  }

  private GroupQueue[] groups(String topic) {
    Topic t = topics.get(topic);
    return t == null ? new GroupQueue[0] : t.groups;
  }

  private GroupQueue find(String topic, String group) {
    Topic t = topics.get(topic);
    return t == null ? null : t.byName.get(group);
  }

  /** Stores the message in every group of the topic, or in none if any group is full. */
  void publish(String topic, Message message) {
    checkRunning();
    GroupQueue[] groups = groups(topic); // none: nobody subscribed, like a fan-out exchange without queues
    if (groups.length == 1) {
      groups[0].enqueueChecked(message);
      return;
    }
    for (GroupQueue q : groups) {
      q.checkCapacity(1);
    }
    for (GroupQueue q : groups) {
      q.enqueue(message);
    }
  }

  void publishAll(String topic, List<Message> messages) {
    checkRunning();
    GroupQueue[] groups = groups(topic);
    for (GroupQueue q : groups) {
      q.checkCapacity(messages.size());
    }
    for (GroupQueue q : groups) {
      for (Message m : messages) {
        q.enqueue(m);
      }
    }
  }

  void publishDelayed(String topic, Message message, Duration delay) {
    checkRunning();
    GroupQueue[] groups = groups(topic);
    for (GroupQueue q : groups) {
      q.checkCapacity(1);
    }
    for (GroupQueue q : groups) {
      q.enqueueDelayed(message, delay);
    }
  }

  long backlog(String topic, String group) {
    GroupQueue q = find(topic, group);
    return q == null ? 0 : q.size();
  }

  List<Message> peek(String topic, String group, int max) {
    GroupQueue q = find(topic, group);
    return q == null ? List.of() : q.peek(max);
  }

  private void expireUnacked() {
    // Never let a failure cancel this periodic task: ack timeouts would stop for every group.
    try {
      long now = System.nanoTime();
      for (Topic t : topics.values()) {
        for (GroupQueue q : t.groups) {
          q.expire(now, ackTimeoutNanos);
        }
      }
    } catch (RuntimeException | StackOverflowError e) {
      org.slf4j.LoggerFactory.getLogger(InMemoryBroker.class).error("in-memory ack-timeout scan failed", e);
    }
  }

  void shutdown() {
    scheduler.shutdownNow();
  }
}
