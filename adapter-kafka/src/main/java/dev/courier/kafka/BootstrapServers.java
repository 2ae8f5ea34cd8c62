package dev.courier.kafka;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Checks a bootstrap server list, {@code host:port[,host:port...]}, before any Kafka client is
 * created: the clients would fail later with a bare {@code KafkaException}, after other I/O.
 */
final class BootstrapServers {
  static final String FORMAT = "host:port[,host:port...] (an IPv6 address in brackets, as in [::1]:9092; port 1-65535)";
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9._-]+");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Za-z.%_-]*:[0-9A-Za-z:.%_-]*");
  private static final Pattern PORT = Pattern.compile("[0-9]{1,5}");

  private BootstrapServers() {}

  /**
   * The list with its entries trimmed, joined by ','; an {@link IllegalArgumentException} starting
   * with {@code name} if it is malformed, quoting the value and saying what is wrong with it.
   */
  static String check(String name, String servers) {
    List<String> entries = new ArrayList<>();
    for (String raw : servers.split(",", -1)) {
      String problem = problem(raw.trim());
      if (problem != null) {
        throw new IllegalArgumentException(name + " must be " + FORMAT + ", was '" + servers + "': " + problem);
      }
      entries.add(raw.trim());
    }
    return String.join(",", entries);
  }

  /** What is wrong with one entry; null if nothing. */
  private static String problem(String entry) {
    if (entry.isEmpty()) {
      return "an entry is empty";
    }
    if (entry.contains("://")) {
      return "entry '" + entry + "' names a protocol; write host:port (security-protocol sets the protocol)";
    }
    int colon = entry.lastIndexOf(':');
    if (colon < 0) {
      return "entry '" + entry + "' has no port";
    }
    String host = entry.substring(0, colon);
    String port = entry.substring(colon + 1);
    if (host.startsWith("[")) {
      if (!host.endsWith("]") || !IPV6.matcher(host.substring(1, host.length() - 1)).matches()) {
        return "entry '" + entry + "' has no IPv6 address in well-formed brackets";
      }
    } else if (host.contains(":")) {
      return "entry '" + entry + "' is not host:port; put an IPv6 address in brackets";
    } else if (!HOST.matcher(host).matches()) {
      return "entry '" + entry + "' has no valid host name or address";
    }
    if (!PORT.matcher(port).matches() || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65_535) {
      return "entry '" + entry + "' has no port in 1-65535";
    }
    return null;
  }
}
