package dev.courier.pubsub;

import static org.junit.jupiter.api.Assertions.assertThrows;

import com.sun.net.httpserver.HttpServer;
import dev.courier.testsupport.PubSubEmulator;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Pub/Sub emulator fixture")
class PubSubEmulatorFixtureTest {

  @Test
  @DisplayName("an emulator started on a port another process serves fails instead of latching onto that process")
  void doesNotLatchOntoAnotherProcess() throws Exception {
    // Another process's "emulator": answers the fixture's readiness checks on the port.
    HttpServer other = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    other.createContext("/", exchange -> {
      byte[] body = (exchange.getRequestURI().getPath().equals("/") ? "Ok" : "{}").getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    other.start();
    try {
      assertThrows(IllegalStateException.class, () -> {
        PubSubEmulator latched = PubSubEmulator.startOn(other.getAddress().getPort());
        latched.close();
      });
    } finally {
      other.stop(0);
    }
  }
}
