package dev.courier.tck.spi;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.courier.Message;
import dev.courier.spi.DeliverySink;
import dev.courier.spi.ReceiveSpec;
import dev.courier.spi.Receiver;
import dev.courier.spi.Transport;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;

/**
 * What the adapter declares to {@link TransportContractKit}, and what its rules share: the
 * transport of the rule, unique topics, receivers closed when the rule ends, failure messages that
 * quote the rule.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
public abstract class KitSupport {
  private final Deque<AutoCloseable> opened = new ArrayDeque<>();
  private Transport transport;
  private String rule = "";

  KitSupport() {}

  /**
   * The transport under test, connected to its broker. Called once per rule; the kit closes it when
   * the rule ends. Every receiver a rule opens on it competes in the same broker.
   */
  protected abstract Transport newTransport();

  /**
   * Whether the broker cannot leave its delivery count alone on {@link
   * dev.courier.spi.TransportDelivery#defer} (SQS's receive count): SPI-1.2 is then skipped. False by default.
   */
  protected boolean defersAreCounted() {
    return false;
  }

  /**
   * The lease (visibility timeout, ack deadline, ack timeout) the transport from {@link
   * #newTransport()} lends a delivery for; configure it short (a second or a few), since SPI-6.1
   * holds a delivery for three. Empty (the default) skips SPI-6.1, as for brokers that keep a
   * delivery until it is settled.
   */
  protected Optional<Duration> lease() {
    return Optional.empty();
  }

  /**
   * Rules the adapter is known to break, by id, each with the reason and the issue that will fix it:
   * they are reported skipped with that text, so a known bug stays visible instead of failing every
   * build or being deleted. Empty by default; keep it empty.
   */
  protected Map<String, String> knownViolations() {
    return Map.of();
  }

  /** A topic or group name no other rule or run uses; by default {@code spi-<purpose>-<random hex>}. */
  protected String uniqueName(String purpose) {
    return "spi-" + purpose + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xFFFFFFFFFFL);
  }

  /** How long a rule waits for something that should happen. 20 s by default. */
  protected Duration patience() {
    return Duration.ofSeconds(20);
  }

  /** How long a rule watches for something that must not happen (a second copy). 1 s by default. */
  protected Duration quiet() {
    return Duration.ofSeconds(1);
  }

  @BeforeEach
  final void openRule() {
    transport = Objects.requireNonNull(newTransport(), "newTransport() returned null");
  }

  @AfterEach
  final void closeRule() {
    opened.addLast(transport);
    RuntimeException first = null;
    while (!opened.isEmpty()) {
      try {
        opened.pop().close();
      } catch (Exception e) {
        if (first == null) {
          first = new IllegalStateException("closing what " + rule + " opened failed", e);
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }

  final Transport transport() {
    return transport;
  }

  /** Names the rule running; skips it if the adapter lists it among its {@link #knownViolations()}. */
  final void rule(String id) {
    this.rule = id;
    String known = knownViolations().get(id);
    assumeTrue(known == null, () -> "known violation of " + id + " declared by the adapter's test: " + known);
  }

  final String rule() {
    return rule;
  }

  /** An inbox for a receiver the rule opens itself. */
  final KitInbox inbox() {
    return new KitInbox(rule, patience());
  }

  /** A failure message that quotes the rule. */
  final String failure(String what) {
    return rule + " violated: " + what;
  }

  /** A new topic with one group, both created. */
  final Topic topic(String purpose) {
    Topic t = new Topic(uniqueName(purpose), uniqueName("g"));
    transport.ensureGroup(t.name, t.group);
    return t;
  }

  /** A topic and its one group, as a rule uses them. */
  final class Topic {
    final String name;
    final String group;

    private Topic(String name, String group) {
      this.name = name;
      this.group = group;
    }

    Message publishOne() throws Exception {
      return publish(1).get(0);
    }

    /** Publishes {@code n} keyed messages with a header, waiting for the broker's confirmations. */
    List<Message> publish(int n) throws Exception {
      List<Message> sent = new ArrayList<>();
      List<CompletableFuture<Void>> confirmed = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        Message m = Message.builder().key("k" + i).header("spi-seq", Integer.toString(i))
            .payload(Integer.toString(i).getBytes(StandardCharsets.UTF_8)).build();
        sent.add(m);
        confirmed.add(transport.send(name, m));
      }
      CompletableFuture.allOf(confirmed.toArray(CompletableFuture[]::new))
          .get(patience().toMillis(), TimeUnit.MILLISECONDS);
      return sent;
    }

    /** A receiver of the group, closed when the rule ends. */
    Receiver open(int maxInFlight, DeliverySink sink) {
      Receiver r = transport.receive(new ReceiveSpec(name, group, maxInFlight, false), sink);
      opened.push(r);
      return r;
    }

    /** A receiver of the group handing its deliveries to a new inbox. */
    KitInbox receive(int maxInFlight) {
      KitInbox in = inbox();
      open(maxInFlight, in);
      return in;
    }
  }
}
