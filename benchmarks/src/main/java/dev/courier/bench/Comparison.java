package dev.courier.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/** One workload through Courier and through the raw client: the figures, and how they are reported. */
final class Comparison {
  private Comparison() {}

  /** Throughputs in messages per second; publish-to-handler latencies in microseconds. */
  record Result(double publishRate, double endToEndRate, long p50, long p99) {
    /** The run with the better end-to-end rate, keeping the better publish rate of the two. */
    Result best(Result o) {
      return endToEndRate >= o.endToEndRate
          ? new Result(Math.max(publishRate, o.publishRate), endToEndRate, p50, p99)
          : new Result(Math.max(publishRate, o.publishRate), o.endToEndRate, o.p50, o.p99);
    }

    /** Sorts {@code latencyNanos} in place and takes p50/p99 from it. */
    static Result of(double publishRate, double endToEndRate, long[] latencyNanos) {
      Arrays.sort(latencyNanos);
      int n = latencyNanos.length;
      return new Result(publishRate, endToEndRate, latencyNanos[n / 2] / 1000, latencyNanos[(int) (n * 0.99)] / 1000);
    }
  }

  /**
   * Prints both results and their ratios and writes {@code out} as JSON with the fields every
   * broker benchmark shares, plus {@code extras} (integer settings such as prefetch).
   */
  static void report(String adapter, String rawLabel, int messages, int payloadBytes, Result raw, Result courier,
      Map<String, Integer> extras, Path out) throws IOException {
    double ratio = courier.endToEndRate() / raw.endToEndRate();
    double publishRatio = courier.publishRate() / raw.publishRate();
    String row = "%-" + Math.max(rawLabel.length(), 7) + "s: publish %,.0f msgs/s, end-to-end %,.0f msgs/s, p50 %d µs, p99 %d µs%n";
    System.out.printf(Locale.ROOT, row, rawLabel, raw.publishRate(), raw.endToEndRate(), raw.p50(), raw.p99());
    System.out.printf(Locale.ROOT, row, "courier", courier.publishRate(), courier.endToEndRate(), courier.p50(), courier.p99());
    System.out.printf(Locale.ROOT, "ratio (end-to-end) %.3f, publish ratio %.3f%n", ratio, publishRatio);
    StringBuilder json = new StringBuilder(String.format(Locale.ROOT,
        "{\"adapter\":\"%s\",\"messages\":%d,\"payloadBytes\":%d,\"courierMsgsPerSec\":%.0f,"
            + "\"rawMsgsPerSec\":%.0f,\"ratio\":%.3f,\"p50Micros\":%d,\"p99Micros\":%d,"
            + "\"rawP50Micros\":%d,\"rawP99Micros\":%d,\"courierPublishMsgsPerSec\":%.0f,"
            + "\"rawPublishMsgsPerSec\":%.0f,\"publishRatio\":%.3f",
        adapter, messages, payloadBytes, courier.endToEndRate(), raw.endToEndRate(), ratio, courier.p50(),
        courier.p99(), raw.p50(), raw.p99(), courier.publishRate(), raw.publishRate(), publishRatio));
    extras.forEach((k, v) -> json.append(",\"").append(k).append("\":").append(v));
    json.append("}\n");
    Files.createDirectories(out.getParent());
    Files.writeString(out, json, StandardCharsets.UTF_8);
    System.out.println("wrote " + out);
  }
}
