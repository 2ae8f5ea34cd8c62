package dev.courier.tck.internal;

import dev.courier.Headers;
import dev.courier.MessageLimits;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** Headers that fill the limits applications are given, for the TCK's limit rules. */
public final class AtLimits {
  private AtLimits() {}

  /**
   * {@code limits.maxHeaders()} headers (fewer if their names alone would not fit) holding together
   * as close to {@code bytes} bytes of names and values as {@code limits.maxHeaderValueBytes()}
   * allows; the first value starts with two non-ASCII characters, so UTF-8 bytes, not chars, count.
   */
  public static Headers headers(MessageLimits limits, int bytes) {
    int count = limits.maxHeaders();
    while (count > 1 && names(count) > bytes) {
      count--;
    }
    long values = Math.min(Math.max(0, bytes - names(count)), (long) count * limits.maxHeaderValueBytes());
    Map<String, String> h = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      int len = (int) (values / count + (i < values % count ? 1 : 0));
      String value = i == 0 && len >= 5 ? "ü✓" + "v".repeat(len - 5) : "v".repeat(len);
      h.put(name(i), value);
    }
    return Headers.of(h);
  }

  private static String name(int i) {
    return String.format("tck-l%04d", i);
  }

  private static int names(int count) {
    return count * name(0).getBytes(StandardCharsets.UTF_8).length;
  }
}
