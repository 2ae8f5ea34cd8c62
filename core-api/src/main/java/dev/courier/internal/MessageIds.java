package dev.courier.internal;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Generates message ids: 128-bit, time-ordered (UUIDv7 layout) and printed as a UUID. Uses
 * ThreadLocalRandom rather than SecureRandom: ids must be unique, not unguessable, and this keeps
 * id generation off the publish hot path's profile.
 */
public final class MessageIds {
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private MessageIds() {}

  public static String next() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long millis = System.currentTimeMillis();
    long high = (millis << 16) | 0x7000L | (random.nextLong() & 0x0FFFL);
    long low = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    char[] out = new char[36];
    hex(high >>> 32, 8, out, 0);
    out[8] = '-';
    hex(high >>> 16, 4, out, 9);
    out[13] = '-';
    hex(high, 4, out, 14);
    out[18] = '-';
    hex(low >>> 48, 4, out, 19);
    out[23] = '-';
    hex(low, 12, out, 24);
    return new String(out);
  }

  private static void hex(long value, int digits, char[] out, int offset) {
    for (int i = digits - 1; i >= 0; i--) {
      out[offset + i] = HEX[(int) (value & 0xF)];
      value >>>= 4;
    }
  }
}
