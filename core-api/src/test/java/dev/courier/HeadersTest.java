package dev.courier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("Headers")
class HeadersTest {
  @Test
  @DisplayName("copy the map they are made from: changing it later changes nothing")
  void copiesMap() {
    Map<String, String> source = new LinkedHashMap<>();
    source.put("a", "1");
    Headers h = Headers.of(source);
    source.put("a", "2");
    source.put("b", "3");
    assertEquals(Map.of("a", "1"), h.asMap());
  }

  @Test
  @DisplayName("cannot be changed through asMap() or names()")
  void unmodifiableViews() {
    Headers h = Headers.of("a", "1");
    assertThrows(UnsupportedOperationException.class, () -> h.asMap().put("b", "2"));
    assertThrows(UnsupportedOperationException.class, () -> h.names().remove("a"));
    assertThrows(UnsupportedOperationException.class, () -> Headers.empty().asMap().put("b", "2"));
  }

  @Test
  @DisplayName("with, withAll and without return copies and keep insertion order")
  void copiesOnWrite() {
    Headers h = Headers.of("a", "1").with("b", "2");
    Headers replaced = h.with("a", "9");
    Headers merged = h.withAll(Headers.of("c", "3"));
    Headers removed = h.without("a");
    assertEquals(Map.of("a", "1", "b", "2"), h.asMap());
    assertEquals(Optional.of("9"), replaced.get("a"));
    assertEquals(List.of("a", "b", "c"), List.copyOf(merged.names()));
    assertEquals(List.of("b"), List.copyOf(removed.names()));
    assertSame(Headers.empty(), Headers.of("a", "1").without("a"));
    assertSame(h, h.without("absent"));
  }

  @Test
  @DisplayName("count UTF-8 bytes of names and values in encodedSize()")
  void encodedSize() {
    assertEquals(1 + 2, Headers.of("a", "é").encodedSize());
  }

  @ParameterizedTest(name = "value \"{0}\"")
  @ValueSource(strings = {"plain", "é", "€uro", "\uD83D\uDE00 emoji", "lone \uD83D high", "lone \uDE00 low", "end \uD83D",
      "\u07FF\u0800\uFFFF"})
  @DisplayName("count in encodedSize() the bytes String.getBytes(UTF_8) makes of any text")
  void encodedSizeMatchesEncoding(String value) {
    assertEquals(("name" + value).getBytes(java.nio.charset.StandardCharsets.UTF_8).length,
        Headers.of("name", value).encodedSize());
  }

  @ParameterizedTest(name = "name \"{0}\" is refused")
  @ValueSource(strings = {"", "a\nb", "a\rb", "tab\there", "nul\u0000", "del\u007f", "c1\u0085"})
  @DisplayName("refuse empty names and names with control characters")
  void badNames(String name) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Headers.of(name, "v"));
    assertTrue(e.getMessage().contains("header name"), e.getMessage());
    assertFalse(e.getMessage().chars().anyMatch(Character::isISOControl),
        "the error must not echo control characters: " + e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Headers.of(Map.of(name, "v")));
    assertThrows(IllegalArgumentException.class, () -> Headers.empty().with(name, "v"));
  }

  @ParameterizedTest(name = "\"{0}\" is reserved")
  @ValueSource(strings = {"courier-id", "courier-dlq-reason", "Courier-Id", "COURIER-X", "x-courier-key", "X-Courier-Seq"})
  @DisplayName("treat names starting with courier- or x-courier-, in any case, as reserved")
  void reserved(String name) {
    assertTrue(Headers.isReserved(name), name);
  }

  @ParameterizedTest(name = "\"{0}\" is not reserved")
  @ValueSource(strings = {"courier", "courierid", "my-courier-id", "x-courier", "x-trace", "content-type"})
  @DisplayName("leave every other name to the application")
  void notReserved(String name) {
    assertFalse(Headers.isReserved(name), name);
  }

  @Test
  @DisplayName("refuse null names and values, naming the header")
  void nulls() {
    assertEquals("header name", assertThrows(NullPointerException.class, () -> Headers.of(null, "v")).getMessage());
    NullPointerException e = assertThrows(NullPointerException.class, () -> Headers.of("trace", null));
    assertTrue(e.getMessage().contains("trace"), e.getMessage());
    Map<String, String> withNullValue = new HashMap<>();
    withNullValue.put("x", null);
    assertThrows(NullPointerException.class, () -> Headers.of(withNullValue));
    assertEquals("values", assertThrows(NullPointerException.class, () -> Headers.of((Map<String, String>) null)).getMessage());
    assertEquals("more", assertThrows(NullPointerException.class, () -> Headers.empty().withAll(null)).getMessage());
  }

  @Test
  @DisplayName("answer lookups of a null name with a NullPointerException naming it, on empty and non-empty headers alike")
  void nullLookups() {
    for (Headers h : List.of(Headers.empty(), Headers.of("a", "1"))) {
      assertEquals("name", assertThrows(NullPointerException.class, () -> h.get(null)).getMessage());
      assertEquals("name", assertThrows(NullPointerException.class, () -> h.contains(null)).getMessage());
      assertEquals("name", assertThrows(NullPointerException.class, () -> h.without(null)).getMessage());
    }
  }

  @Test
  @DisplayName("print names but never values")
  void toStringHidesValues() {
    String s = Headers.of("authorization", "Bearer abc.def").with("x-user", "alice@example.com").toString();
    assertTrue(s.contains("authorization") && s.contains("x-user"), s);
    assertFalse(s.contains("abc.def"), s);
    assertFalse(s.contains("alice"), s);
  }

  @Test
  @DisplayName("are equal when their entries are equal")
  void equality() {
    assertEquals(Headers.of("a", "1").with("b", "2"), Headers.of(Map.of("a", "1", "b", "2")));
    assertEquals(Headers.of("a", "1").hashCode(), Headers.of(Map.of("a", "1")).hashCode());
  }
}
