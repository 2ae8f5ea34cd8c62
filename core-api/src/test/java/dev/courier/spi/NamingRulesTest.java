package dev.courier.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.InvalidNameException;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("NamingRules")
class NamingRulesTest {
  private final NamingRules standard = NamingRules.standard();

  @ParameterizedTest(name = "accepts \"{0}\"")
  @ValueSource(strings = {"orders", "orders.v1", "Orders_2", "a-b.c_d", "x"})
  @DisplayName("standard rules accept letters, digits, '.', '_' and '-'")
  void accepts(String name) {
    assertEquals(name, standard.validateTopic(name));
    assertEquals(name, standard.validateGroup(name));
  }

  @ParameterizedTest(name = "refuses \"{0}\"")
  @ValueSource(strings = {"", "has space", "slash/topic", "ümlaut", "star*", "new\nline"})
  @DisplayName("standard rules refuse other characters and empty names, saying which part was wrong")
  void refuses(String name) {
    InvalidNameException e = assertThrows(InvalidNameException.class, () -> standard.validateTopic(name));
    assertTrue(e.getMessage().startsWith("topic"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), "must not echo control characters: " + e.getMessage());
    InvalidNameException g = assertThrows(InvalidNameException.class, () -> standard.validateGroup(name));
    assertTrue(g.getMessage().startsWith("group"), g.getMessage());
  }

  @Test
  @DisplayName("an invalid name is an IllegalArgumentException, and null is a NullPointerException naming the part")
  void exceptionTypes() {
    assertTrue(IllegalArgumentException.class.isAssignableFrom(InvalidNameException.class));
    assertEquals("topic", assertThrows(NullPointerException.class, () -> standard.validateTopic(null)).getMessage());
    assertEquals("group", assertThrows(NullPointerException.class, () -> standard.validateGroup(null)).getMessage());
  }

  @Test
  @DisplayName("standard rules accept 249 characters and refuse 250, giving the length")
  void length() {
    assertEquals(249, standard.validateTopic("a".repeat(249)).length());
    InvalidNameException e = assertThrows(InvalidNameException.class, () -> standard.validateTopic("a".repeat(250)));
    assertTrue(e.getMessage().contains("250") && e.getMessage().contains("249"), e.getMessage());
    assertTrue(e.getMessage().length() < 400, "a long name is abbreviated in the message");
  }

  @Test
  @DisplayName("derive the dead-letter topic <topic>.<group>.dlq, with the rules' separator")
  void derivedDeadLetterTopic() {
    assertEquals("orders.billing.dlq", standard.deadLetterTopic("orders", "billing"));
    NamingRules dashes = NamingRules.of(80, Pattern.compile("[A-Za-z0-9_-]+"), "letters, digits, '_' and '-'", "-");
    assertEquals("orders-billing-dlq", dashes.deadLetterTopic("orders", "billing"));
    assertEquals("courier-dlq", dashes.deadLetterGroup());
  }

  @Test
  @DisplayName("a derived dead-letter topic that is too long fails, naming topic and group and the way out")
  void derivedTooLong() {
    NamingRules short80 = NamingRules.of(80, Pattern.compile("[a-z.]+"), "lower-case letters and '.'", ".");
    String topic = "t".repeat(40);
    String group = "g".repeat(40);
    assertEquals(topic, short80.validateTopic(topic));
    InvalidNameException e = assertThrows(InvalidNameException.class, () -> short80.deadLetterTopic(topic, group));
    assertTrue(e.getMessage().contains(topic) && e.getMessage().contains(group), e.getMessage());
    assertTrue(e.getMessage().contains("DeadLetterPolicy.toTopic"), e.getMessage());
  }

  @Test
  @DisplayName("custom rules need a max length of at least 3 and non-null parts")
  void customRulesValidated() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> NamingRules.of(2, Pattern.compile(".*"), "anything", "."));
    assertTrue(e.getMessage().contains("maxLength"), e.getMessage());
    assertEquals("allowed", assertThrows(NullPointerException.class,
        () -> NamingRules.of(10, null, "x", ".")).getMessage());
    assertEquals("separator", assertThrows(NullPointerException.class,
        () -> NamingRules.of(10, Pattern.compile(".*"), "x", null)).getMessage());
  }
}
