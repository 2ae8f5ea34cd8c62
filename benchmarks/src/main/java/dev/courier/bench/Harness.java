package dev.courier.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.courier.bench.driver.Endpoint;
import dev.courier.bench.driver.Workload;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Runs one benchmark: named sides (Courier, the raw client, the peer; or configurations of one
 * of them) after one warm-up round each, then {@code rounds} rounds in which every side runs once,
 * the order rotating each round; then, if asked, a fixed-rate latency run per side. Reports every
 * round's figures, their median and spread (min–max), and ratios between sides as the median of
 * the per-round ratios; writes it all as JSON with the machine and the date.
 */
final class Harness {
  /** Figures that ratios are taken of, when both sides report them. */
  private static final List<String> RATED = List.of("msgsPerSec", "publishMsgsPerSec");

  /** One side of the comparison. */
  interface Side extends AutoCloseable {
    /** One round of {@code messages}: figures by name ({@link Workload#round}). */
    Map<String, Double> round(int messages) throws Exception;

    /** The fixed-rate run ({@link Workload#fixedRate}); empty if this side has none. */
    default Map<String, Double> latency(int rate, int seconds) throws Exception {
      return Map.of();
    }

    @Override
    default void close() throws Exception {}

    /** A side in this process, running the shared loops on {@code endpoint}, which it closes. */
    static Side of(Endpoint endpoint, Workload.Settings settings) {
      return new Side() {
        @Override
        public Map<String, Double> round(int messages) throws Exception {
          return Workload.round(endpoint, settings, messages);
        }

        @Override
        public Map<String, Double> latency(int rate, int seconds) throws Exception {
          return Workload.fixedRate(endpoint, settings, rate, seconds);
        }

        @Override
        public void close() throws Exception {
          endpoint.close();
        }
      };
    }
  }

  private record Named(String name, String description, Side side) {}

  private record Ratio(String name, String numerator, String denominator) {}

  private final Options options;
  private final Map<String, Object> workload = new LinkedHashMap<>();
  private final List<Named> sides = new ArrayList<>();
  private final List<Ratio> ratios = new ArrayList<>();
  private final Map<String, String> skipped = new LinkedHashMap<>();
  private boolean latency = true;

  Harness(Options options) {
    this.options = options;
  }

  /** A setting of the workload, recorded in the JSON ({@code payloadBytes}, {@code prefetch}, …). */
  Harness workload(String key, Object value) {
    workload.put(key, value);
    return this;
  }

  Harness side(String name, String description, Side side) {
    sides.add(new Named(name, description, side));
    return this;
  }

  /** A side that may be unavailable (the peer not built, say): if it cannot start, the run goes on without it. */
  Harness optionalSide(String name, String description, Callable<Side> start) {
    try {
      return side(name, description, start.call());
    } catch (Exception e) {
      System.out.println("without " + name + ": " + e);
      skipped.put(name, String.valueOf(e));
      return this;
    }
  }

  Harness ratio(String name, String numerator, String denominator) {
    ratios.add(new Ratio(name, numerator, denominator));
    return this;
  }

  /** Skips the fixed-rate latency run (a comparison of configurations of one client needs none). */
  Harness withoutLatency() {
    latency = false;
    return this;
  }

  /** Runs every side, writes the JSON and closes the sides. */
  void run() throws Exception {
    ObjectNode json = MAPPER.createObjectNode();
    json.put("adapter", options.adapter());
    json.put("date", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    json.set("machine", machine());
    try {
      for (Named s : sides) {
        System.out.printf(Locale.ROOT, "warm-up %-12s %s%n", s.name, format(s.side.round(options.warmup())));
      }
      Map<String, Map<String, double[]>> figures = new LinkedHashMap<>();
      for (int r = 0; r < options.rounds(); r++) {
        for (int k = 0; k < sides.size(); k++) {
          Named s = sides.get((r + k) % sides.size());
          Map<String, Double> f = s.side.round(options.messages());
          System.out.printf(Locale.ROOT, "round %d %-12s %s%n", r + 1, s.name, format(f));
          int round = r;
          f.forEach((metric, v) -> figures.computeIfAbsent(s.name, x -> new LinkedHashMap<>())
              .computeIfAbsent(metric, x -> new double[options.rounds()])[round] = v);
        }
      }
      Map<String, Map<String, Double>> latencies = new LinkedHashMap<>();
      if (latency && options.latencySeconds() > 0) {
        for (Named s : sides) {
          Map<String, Double> l = s.side.latency(options.latencyRate(), options.latencySeconds());
          if (!l.isEmpty()) {
            latencies.put(s.name, l);
            System.out.printf(Locale.ROOT, "latency at %d msgs/s for %d s, %-12s %s%n", options.latencyRate(),
                options.latencySeconds(), s.name, format(l));
          }
        }
      }
      write(json, figures, latencies);
    } finally {
      for (Named s : sides) {
        try {
          s.side.close();
        } catch (Exception e) {
          System.out.println("closing " + s.name + ": " + e);
        }
      }
    }
  }

  private void write(ObjectNode json, Map<String, Map<String, double[]>> figures,
      Map<String, Map<String, Double>> latencies) throws IOException {
    json.put("messages", options.messages());
    json.put("warmupMessages", options.warmup());
    json.put("rounds", options.rounds());
    json.set("workload", MAPPER.valueToTree(workload));
    json.set("sides", MAPPER.valueToTree(sides.stream().map(Named::name).toList()));
    for (Named s : sides) {
      ObjectNode side = json.putObject(s.name);
      side.put("description", s.description);
      figures.getOrDefault(s.name, Map.of()).forEach((metric, runs) -> side.set(metric, stats(Stats.of(runs))));
      if (latencies.containsKey(s.name)) {
        side.set("latency", MAPPER.valueToTree(latencies.get(s.name)));
      }
    }
    List<String> ratioNames = new ArrayList<>();
    for (Ratio ratio : ratios) {
      Map<String, double[]> num = figures.get(ratio.numerator);
      Map<String, double[]> den = figures.get(ratio.denominator);
      if (num == null || den == null) {
        continue;
      }
      ObjectNode node = json.putObject(ratio.name);
      node.put("of", ratio.numerator + " / " + ratio.denominator);
      for (String metric : RATED) {
        if (num.containsKey(metric) && den.containsKey(metric)) {
          Stats st = Stats.ofRatios(num.get(metric), den.get(metric));
          node.set(metric, stats(st));
          System.out.printf(Locale.ROOT, "%s %s: median %.3f (%.3f–%.3f)%n", ratio.name, metric, st.median(),
              st.min(), st.max());
        }
      }
      ratioNames.add(ratio.name);
    }
    json.set("ratios", MAPPER.valueToTree(ratioNames));
    if (latency && options.latencySeconds() > 0) {
      ObjectNode l = json.putObject("latency");
      l.put("ratePerSec", options.latencyRate());
      l.put("seconds", options.latencySeconds());
    }
    if (!skipped.isEmpty()) {
      json.set("skipped", MAPPER.valueToTree(skipped));
    }
    Path out = options.out().toAbsolutePath();
    Files.createDirectories(out.getParent());
    MAPPER.writeValue(out.toFile(), json);
    System.out.println("wrote " + out);
  }

  private static ObjectNode stats(Stats s) {
    ObjectNode n = MAPPER.createObjectNode();
    n.put("median", round(s.median()));
    n.put("min", round(s.min()));
    n.put("max", round(s.max()));
    n.set("runs", MAPPER.valueToTree(java.util.Arrays.stream(s.runs()).map(Harness::round).toArray()));
    return n;
  }

  private static double round(double v) {
    return Math.abs(v) >= 100 ? Math.rint(v) : Math.rint(v * 1000) / 1000;
  }

  private static ObjectNode machine() {
    ObjectNode m = MAPPER.createObjectNode();
    m.put("cores", Runtime.getRuntime().availableProcessors());
    m.put("cpu", cpuModel());
    m.put("jdk", System.getProperty("java.vendor") + " " + System.getProperty("java.runtime.version"));
    m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
        + System.getProperty("os.arch"));
    m.put("loadAverageAtStart", Math.rint(ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage() * 100) / 100);
    return m;
  }

  private static String cpuModel() {
    try {
      return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
          .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }

  private static String format(Map<String, Double> figures) {
    StringBuilder b = new StringBuilder();
    figures.forEach((k, v) -> b.append(String.format(Locale.ROOT, "%s %,.0f  ", k, v)));
    return b.toString().trim();
  }

  static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
}
