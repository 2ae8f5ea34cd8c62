package dev.courier.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.InvalidNameException;
import dev.courier.spi.NamingRules.Derived;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("NamingRules derivation")
class NamingRulesDerivationTest {
  private static final Pattern KAFKA = Pattern.compile("(?!\\.{1,2}$)[A-Za-z0-9._\\-]+");
  private static final Pattern RABBIT = Pattern.compile("(?!amq\\.)[A-Za-z0-9._\\-]+");
  private final NamingRules standard = NamingRules.standard();
  private final NamingRules kafka = NamingRules.of(249, KAFKA, "kafka", ".").withGroupNames("{group}@{topic}",
      Integer.MAX_VALUE);
  private final NamingRules rabbit = NamingRules.of(255, RABBIT, "rabbit", ".").withGroupNames("{topic}:{group}", 255);

  @Test
  @DisplayName("keeps the readable names of earlier versions where they are unambiguous and fit")
  void readableNamesKept() {
    assertEquals("orders.billing.dlq", standard.deadLetterTopic("orders", "billing"));
    assertEquals("orders.v1.billing_2.delay", standard.derived(Derived.DELAY, "orders.v1", "billing_2"));
    assertEquals("orders.v1.delayed", standard.derived(Derived.DELAYED_PUBLISH, "orders.v1"));
    assertEquals("billing@orders.v1", kafka.groupName("orders.v1", "billing"));
    assertEquals("orders.v1:billing", rabbit.groupName("orders.v1", "billing"));
  }

  @Test
  @DisplayName("golden values: hashed names never change between versions (a change orphans queues and topics)")
  void goldenValues() {
    assertEquals("a.b.c.513af0331aeb976f.dlq", standard.deadLetterTopic("a", "b.c"));
    assertEquals("a.b.c.656584bcd9177847.delay", standard.derived(Derived.DELAY, "a", "b.c"));
    String longTopic = "t".repeat(245);
    assertEquals("t".repeat(224) + ".bcc0cbb93df4003e.delayed", standard.derived(Derived.DELAYED_PUBLISH, longTopic));
    // the hashing RabbitMQ queue names had before NamingRules owned it: unchanged
    assertEquals("q".repeat(190) + ":d8e6d8ad885ed954f04d51667647a97a94b5a3b48d033b2681d32da9000c53a1", rabbit.groupName("q".repeat(200), "g".repeat(60)));
  }

  @Test
  @DisplayName("a group holding the separator gets a hashed name, so a.b+c and a+b.c never share a topic")
  void separatorInGroupIsDisambiguated() {
    for (Derived kind : new Derived[] {Derived.DEAD_LETTER, Derived.DELAY}) {
      String ab = standard.derived(kind, "a.b", "c");
      String bc = standard.derived(kind, "a", "b.c");
      assertEquals("a.b.c." + kind.suffix(), ab);
      assertNotEquals(ab, bc);
      assertTrue(bc.endsWith("." + kind.suffix()), bc);
    }
  }

  @Test
  @DisplayName("long inputs differing only past the cut never share a name, and every name fits the broker's rules")
  void longInputsNeverCollide() {
    Map<String, String> seen = new HashMap<>();
    String prefix = "p".repeat(240);
    for (int i = 0; i < 200; i++) {
      String topic = (prefix + i).substring(0, Math.min(249, prefix.length() + String.valueOf(i).length()));
      for (NamingRules rules : new NamingRules[] {kafka, rabbit, standard}) {
        for (Derived kind : Derived.values()) {
          String name = kind == Derived.DELAYED_PUBLISH ? rules.derived(kind, topic) : rules.derived(kind, topic, "g" + i);
          assertTrue(name.length() <= rules.maxLength(), name);
          String input = rules + "|" + kind + "|" + topic + "|g" + i;
          String before = seen.put(rules + "|" + name, input);
          assertTrue(before == null, "collision: " + before + " and " + input + " -> " + name);
        }
      }
    }
  }

  @Test
  @DisplayName("random names stay within each broker's length and charset, and distinct inputs give distinct names")
  void randomNamesValid() {
    Random random = new Random(42);
    String chars = "ab.-_9";
    Map<String, String> seen = new HashMap<>();
    for (int i = 0; i < 3000; i++) {
      String topic = randomName(random, chars, 1 + random.nextInt(249));
      String group = randomName(random, chars, 1 + random.nextInt(249));
      if (topic.endsWith(".dlq") || topic.endsWith(".delay") || topic.endsWith(".delayed") || topic.matches("\\.{1,2}")) {
        continue;
      }
      String dlq = kafka.deadLetterTopic(topic, group);
      assertTrue(dlq.length() <= 249 && KAFKA.matcher(dlq).matches(), dlq);
      String before = seen.put(dlq, topic + "|" + group);
      assertTrue(before == null || before.equals(topic + "|" + group), "collision on " + dlq);
      String queue = rabbit.groupName(topic, group);
      assertTrue(queue.getBytes(StandardCharsets.UTF_8).length <= 255, queue);
    }
  }

  @ParameterizedTest(name = "refuses publishing to \"{0}\"")
  @ValueSource(strings = {"x.dlq", "orders.billing.dlq", "x.delay", "x.delayed"})
  @DisplayName("topics to publish to ending in a reserved suffix are refused, naming the suffix")
  void reservedSuffixesRefused(String topic) {
    InvalidNameException e = assertThrows(InvalidNameException.class, () -> standard.validateTopic(topic));
    String suffix = topic.substring(topic.lastIndexOf('.'));
    assertTrue(e.getMessage().contains("'" + suffix + "'") && e.getMessage().contains("reserves"), e.getMessage());
  }

  @Test
  @DisplayName("names that only contain a reserved word are fine; dead-letter topics can be read, not published to; .delay and .delayed never")
  void nearMissesAndDeadLetterTopics() {
    assertEquals("x.dlqs", standard.validateTopic("x.dlqs"));
    assertEquals("x.delay.v2", standard.validateTopic("x.delay.v2"));
    assertEquals("xdlq", standard.validateTopic("xdlq"));
    assertEquals("audit.dlq", standard.validateTopicOrDeadLetterTopic("audit.dlq"));
    assertThrows(InvalidNameException.class, () -> standard.validateTopic("audit.dlq"), "cached as a dead-letter topic");
    assertThrows(InvalidNameException.class, () -> standard.validateTopicOrDeadLetterTopic("audit.delayed"));
    assertThrows(InvalidNameException.class, () -> standard.validateTopicOrDeadLetterTopic("audit.g.delay"));
    assertEquals(java.util.List.of(".dlq", ".delay", ".delayed"), standard.reservedSuffixes());
  }

  @Test
  @DisplayName("group names over the byte limit are cut and end in the full SHA-256, still distinct")
  void longGroupNames() {
    String topic = "t".repeat(200);
    String a = rabbit.groupName(topic, "g".repeat(60) + "a");
    String b = rabbit.groupName(topic, "g".repeat(60) + "b");
    assertNotEquals(a, b);
    assertEquals(255, a.getBytes(StandardCharsets.UTF_8).length);
    assertTrue(a.matches("t{190}:[0-9a-f]{64}"), a);
    String longKafka = kafka.groupName("t".repeat(249), "g".repeat(249));
    assertEquals("g".repeat(249) + "@" + "t".repeat(249), longKafka, "Kafka group ids have no length limit");
  }

  @Test
  @DisplayName("a group-name format must join with a character names may not hold")
  void groupFormatChecked() {
    assertThrows(IllegalArgumentException.class, () -> standard.withGroupNames("{topic}.{group}", 255));
    assertThrows(IllegalArgumentException.class, () -> standard.withGroupNames("{topic}:", 255));
  }

  private static String randomName(Random random, String chars, int length) {
    StringBuilder b = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      b.append(chars.charAt(random.nextInt(chars.length())));
    }
    return b.toString();
  }
}
