package dev.courier.bench;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * A benchmark's command line: {@code ADAPTER OUTPUT [MESSAGES] [key=value…]} with keys
 * {@code messages}, {@code rounds} (default 5), {@code warmup} (messages in the warm-up round,
 * default {@code messages}: a full untimed round per side, so the JIT has compiled every side's
 * path before the clock runs), {@code latencyRate} (msgs/s, default 1,000),
 * {@code latencySeconds} (default 10, 0 skips the fixed-rate run) and {@code scale} (multiplies
 * {@code messages} and {@code warmup}, for quick checks).
 */
record Options(String adapter, Path out, int messages, int rounds, int warmup, int latencyRate, int latencySeconds) {
  private static final Set<String> KEYS = Set.of("messages", "rounds", "warmup", "latencyRate", "latencySeconds",
      "scale");

  static Options parse(String[] args, int defaultMessages) {
    Map<String, String> given = new HashMap<>();
    for (int i = 2; i < args.length; i++) {
      String a = args[i];
      int eq = a.indexOf('=');
      if (eq < 0 && i == 2) {
        given.put("messages", a);
        continue;
      }
      String key = eq < 0 ? a : a.substring(0, eq);
      if (eq < 0 || !KEYS.contains(key)) {
        throw new IllegalArgumentException("unknown argument '" + a + "': expected key=value with a key of " + KEYS);
      }
      given.put(key, a.substring(eq + 1));
    }
    double scale = Double.parseDouble(given.getOrDefault("scale", "1"));
    int messages = (int) Math.max(1, Integer.parseInt(given.getOrDefault("messages", "" + defaultMessages)) * scale);
    int warmup = given.containsKey("warmup")
        ? (int) Math.max(1, Integer.parseInt(given.get("warmup")) * scale) : messages;
    int rounds = Integer.parseInt(given.getOrDefault("rounds", "5"));
    if (rounds < 1) {
      throw new IllegalArgumentException("rounds must be at least 1, was " + rounds);
    }
    return new Options(args[0], Path.of(args[1]), messages, rounds, warmup,
        Integer.parseInt(given.getOrDefault("latencyRate", "1000")),
        Integer.parseInt(given.getOrDefault("latencySeconds", "10")));
  }
}
