package dev.courier.sqs;

import dev.courier.spi.support.Threads;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback TCP proxy in front of an HTTP server that loses the answers to the first
 * {@code drops} requests containing {@code marker}: the request reaches the server, which acts on
 * it, and when its answer starts to come back the proxy resets the client's connection instead of
 * forwarding it (as when a broker goes down, or the network breaks, between storing a message and
 * answering). Every other byte passes through unchanged.
 */
final class AnswerDroppingProxy implements AutoCloseable {
  private final ServerSocket listener;
  private final int targetPort;
  private final String marker;
  private final AtomicInteger toDrop;
  private final AtomicInteger seen = new AtomicInteger();
  private final AtomicInteger dropped = new AtomicInteger();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final ExecutorService threads = Executors.newCachedThreadPool(
      Threads.factory("answer-dropping-proxy", true));
  private volatile boolean closed;

  private AnswerDroppingProxy(int targetPort, String marker, int drops) throws IOException {
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.targetPort = targetPort;
    this.marker = marker;
    this.toDrop = new AtomicInteger(drops);
  }

  /** A started proxy to {@code 127.0.0.1:targetPort}. */
  static AnswerDroppingProxy start(int targetPort, String marker, int drops) throws IOException {
    AnswerDroppingProxy p = new AnswerDroppingProxy(targetPort, marker, drops);
    p.threads.execute(p::accept);
    return p;
  }

  /** {@code http://127.0.0.1:<port>} of the proxy. */
  String endpoint() {
    return "http://127.0.0.1:" + listener.getLocalPort();
  }

  /** Requests containing the marker that went through to the server, answered or not. */
  int seen() {
    return seen.get();
  }

  /** Answers dropped so far. */
  int dropped() {
    return dropped.get();
  }

  private void accept() {
    while (!closed) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        return; // closed
      }
      sockets.add(client);
      try {
        Socket server = new Socket(InetAddress.getLoopbackAddress(), targetPort);
        sockets.add(server);
        Connection c = new Connection(client, server);
        threads.execute(c::requests);
        threads.execute(c::answers);
      } catch (IOException e) { // the server is down: so is the connection through the proxy
        quietly(client);
      }
    }
  }

  /** One client connection and its connection to the server. */
  private final class Connection {
    final Socket client;
    final Socket server;
    volatile boolean dropNextAnswer;

    Connection(Socket client, Socket server) {
      this.client = client;
      this.server = server;
    }

    /** Client to server; a request with the marker arms the drop before the server can answer it. */
    void requests() {
      byte[] buf = new byte[16 * 1024];
      String tail = "";
      try (InputStream in = client.getInputStream(); OutputStream out = server.getOutputStream()) {
        for (int n; (n = in.read(buf)) > 0; ) {
          String text = tail + new String(buf, 0, n, StandardCharsets.ISO_8859_1);
          if (text.contains(marker)) {
            seen.incrementAndGet();
            dropNextAnswer = toDrop.getAndUpdate(k -> Math.max(0, k - 1)) > 0;
          }
          tail = text.substring(Math.max(0, text.length() - marker.length()));
          out.write(buf, 0, n);
          out.flush();
        }
      } catch (IOException e) {
        // either side closed: the other pump ends too
      } finally {
        closeQuietly();
      }
    }

    /** Server to client; the first bytes of an answer to drop reset the client's connection. */
    void answers() {
      byte[] buf = new byte[16 * 1024];
      try (InputStream in = server.getInputStream(); OutputStream out = client.getOutputStream()) {
        for (int n; (n = in.read(buf)) > 0; ) {
          if (dropNextAnswer) {
            dropped.incrementAndGet();
            client.setSoLinger(true, 0); // close with RST: the client sees "Connection reset"
            break;
          }
          out.write(buf, 0, n);
          out.flush();
        }
      } catch (IOException e) {
        // either side closed: the other pump ends too
      } finally {
        closeQuietly();
      }
    }

    void closeQuietly() {
      quietly(client);
      quietly(server);
    }
  }

  private static void quietly(Closeable c) {
    try {
      c.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  @Override
  public void close() {
    closed = true;
    quietly(listener);
    sockets.forEach(AnswerDroppingProxy::quietly);
    threads.shutdownNow();
  }
}
