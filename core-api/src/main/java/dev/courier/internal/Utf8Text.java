package dev.courier.internal;

import java.nio.charset.StandardCharsets;

/** Cutting text to a length in characters or UTF-8 bytes without splitting a character; a cut text ends in '…'. */
final class Utf8Text {
  static final String MARK = "…";
  private static final int MARK_BYTES = 3;

  private Utf8Text() {}

  /** {@code text} with control characters replaced by spaces; "" for null. */
  static String clean(String text) {
    return text == null ? "" : text.replaceAll("\\p{Cntrl}", " ");
  }

  /** {@code text} if it has at most {@code max} chars, else its longest prefix that, with '…', does. */
  static String chars(String text, int max) {
    if (text.length() <= max) {
      return text;
    }
    if (max < MARK.length()) {
      return "";
    }
    int end = max - MARK.length();
    if (end > 0 && Character.isHighSurrogate(text.charAt(end - 1))) {
      end--;
    }
    return text.substring(0, end) + MARK;
  }

  /** {@code text} if it has at most {@code max} UTF-8 bytes, else its longest prefix that, with '…', does. */
  static String bytes(String text, int max) {
    if (text.length() <= max / 3 || text.getBytes(StandardCharsets.UTF_8).length <= max) {
      return text;
    }
    if (max < MARK_BYTES) {
      return "";
    }
    int budget = max - MARK_BYTES;
    int used = 0;
    int end = 0;
    while (end < text.length()) {
      int cp = text.codePointAt(end);
      int size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      if (Character.isSurrogate((char) cp)) {
        size = 3; // a lone surrogate is encoded as '?', 1 byte; counting 3 stays within the budget
      }
      if (used + size > budget) {
        break;
      }
      used += size;
      end += Character.charCount(cp);
    }
    return text.substring(0, end) + MARK;
  }
}
