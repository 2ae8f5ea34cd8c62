package dev.courier.spi.support;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Checks broker addresses, {@code host:port} or a list of them, before any client is created:
 * clients would fail later with a bare error of their own, after other I/O. Messages quote the
 * value with control characters replaced, so they can be logged.
 */
public final class HostPorts {
  private static final String ONE = "host:port (an IPv6 address in brackets, as in [::1]:443; port 1-65535)";
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9._-]+");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Za-z.%_-]*:[0-9A-Za-z:.%_-]*");
  private static final Pattern PORT = Pattern.compile("[0-9]{1,5}");

  private HostPorts() {}

  /** {@code hostPort}, trimmed; an {@link IllegalArgumentException} starting with {@code name} if it is malformed. */
  public static String check(String name, String hostPort) {
    return check(name, hostPort, false);
  }

  /** {@code host:port[,host:port...]}, its entries trimmed and joined by ','; else as {@link #check(String, String)}. */
  public static String checkList(String name, String hostPorts) {
    return check(name, hostPorts, true);
  }

  private static String check(String name, String value, boolean list) {
    Objects.requireNonNull(value, name);
    List<String> entries = new ArrayList<>();
    for (String raw : list ? value.split(",", -1) : new String[] {value}) {
      String problem = problem(raw.trim(), list);
      if (problem != null) {
        throw new IllegalArgumentException(name + " must be " + (list ? "host:port[,host:port...], each " : "") + ONE
            + ", was '" + printable(value) + "': " + problem);
      }
      entries.add(raw.trim());
    }
    return String.join(",", entries);
  }

  /** What is wrong with one entry; null if nothing. */
  private static String problem(String entry, boolean list) {
    String quoted = list ? "entry '" + printable(entry) + "'" : "it";
    if (entry.isEmpty()) {
      return list ? "an entry is empty" : "it is empty";
    }
    if (entry.contains("://")) {
      return quoted + " names a protocol; write host:port (the adapter's settings choose the protocol)";
    }
    int colon = entry.lastIndexOf(':');
    if (colon < 0) {
      return quoted + " has no port";
    }
    String host = entry.substring(0, colon);
    String port = entry.substring(colon + 1);
    if (host.startsWith("[")) {
      if (!host.endsWith("]") || !IPV6.matcher(host.substring(1, host.length() - 1)).matches()) {
        return quoted + " has no IPv6 address in well-formed brackets";
      }
    } else if (host.contains(":")) {
      return quoted + " is not host:port; put an IPv6 address in brackets";
    } else if (!HOST.matcher(host).matches()) {
      return quoted + " has no valid host name or address";
    }
    if (!PORT.matcher(port).matches() || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65_535) {
      return quoted + " has no port in 1-65535";
    }
    return null;
  }

  /** {@code s} with control, format and line-separator characters (C0, C1, bidi, U+2028) as '?'. */
  private static String printable(String s) {
    String p = s.replaceAll("[\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}]", "?");
    return p.length() <= 200 ? p : p.substring(0, 197) + "...";
  }
}
