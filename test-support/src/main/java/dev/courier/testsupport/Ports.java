package dev.courier.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Loopback port helpers shared by the broker launchers. */
public final class Ports {
  private static final Logger log = LoggerFactory.getLogger(Ports.class);

  private Ports() {}

  /**
   * Below Linux's ephemeral range (32768-60999), where the kernel never hands a port to an
   * outgoing connection or a bind to port 0, and RabbitMQ's CLI tools (35672-35682) never take it
   * while a broker we picked it for is still booting.
   */
  private static final int FIRST = 20_000;
  private static final int LAST = 32_000;
  private static final Set<Integer> RESERVED = Set.of(25_672, 27_017, 26_379);
  private static final Set<Integer> ISSUED = ConcurrentHashMap.newKeySet();

  /**
   * A port free on 127.0.0.1 right now (the caller binds it soon after), never handed out before
   * by this JVM, drawn outside the kernel's ephemeral range so nothing else grabs it meanwhile.
   */
  public static int free() {
    for (int attempt = 0; attempt < 200; attempt++) {
      int port = ThreadLocalRandom.current().nextInt(FIRST, LAST);
      if (RESERVED.contains(port) || !ISSUED.add(port)) {
        continue;
      }
      try (ServerSocket s = new ServerSocket()) {
        s.setReuseAddress(false);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
        return port;
      } catch (IOException e) {
        // taken: draw again
      }
    }
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      ISSUED.add(s.getLocalPort());
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free loopback port", e);
    }
  }

  /**
   * Binds {@code ports} on 127.0.0.1 without listening, until {@link Held#close()}: nothing else
   * can bind them (a {@link #free()} of another JVM draws again), and a client connecting meanwhile
   * is refused, as by a stopped broker. A port with connections in TIME_WAIT is bound with
   * SO_REUSEADDR (a {@link #free()}, binding without it, still fails); one that cannot be bound at
   * all is skipped, and logged.
   */
  public static Held hold(Collection<Integer> ports) {
    List<Socket> held = new ArrayList<>();
    for (int port : ports) {
      Socket s = bound(port, false);
      if (s == null) {
        s = bound(port, true);
      }
      if (s != null) {
        held.add(s);
      } else {
        log.warn("could not hold 127.0.0.1:{}: another process has it", port);
      }
    }
    return () -> held.forEach(Ports::closeQuietly);
  }

  private static Socket bound(int port, boolean reuseAddress) {
    Socket s = new Socket();
    try {
      s.setReuseAddress(reuseAddress);
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      return s;
    } catch (IOException e) {
      closeQuietly(s);
      return null;
    }
  }

  /** Ports bound by {@link #hold}. */
  public interface Held extends AutoCloseable {
    Held NONE = () -> {};

    @Override
    void close();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // nothing held any more either way
    }
  }

  /** Whether something accepts TCP connections on 127.0.0.1:{@code port}. */
  public static boolean listening(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
