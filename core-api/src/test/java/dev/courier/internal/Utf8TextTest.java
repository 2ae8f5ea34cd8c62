package dev.courier.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Cutting text")
class Utf8TextTest {
  @Test
  @DisplayName("to UTF-8 bytes keeps whole characters and ends a cut text with '…'")
  void bytes() {
    assertEquals("abc", Utf8Text.bytes("abc", 3));
    assertEquals("ab…", Utf8Text.bytes("abcdef", 5)); // '…' takes 3 bytes
    assertEquals("ü…", Utf8Text.bytes("üüü", 5));
    assertEquals("…", Utf8Text.bytes("\uD83D\uDE80\uD83D\uDE80", 6)); // a 4-byte character does not fit in 3
    assertEquals("\uD83D\uDE80…", Utf8Text.bytes("\uD83D\uDE80\uD83D\uDE80x", 7));
    assertEquals("", Utf8Text.bytes("abcdef", 2));
  }

  @Test
  @DisplayName("to characters keeps surrogate pairs whole and ends a cut text with '…'")
  void chars() {
    assertEquals("abc", Utf8Text.chars("abc", 3));
    assertEquals("ab…", Utf8Text.chars("abcdef", 3));
    assertEquals("a…", Utf8Text.chars("a\uD83D\uDE80b", 3));
    assertEquals("", Utf8Text.chars("abc", 0));
  }
}
