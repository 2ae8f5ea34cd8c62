package dev.courier.testsupport;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Ports")
class PortsTest {
  @Test
  @DisplayName("a held port cannot be bound by anyone else and refuses connections; once released it binds again")
  void heldPortIsTakenButRefusesConnections() throws IOException {
    int port = Ports.free();
    try (Ports.Held held = Ports.hold(List.of(port))) {
      assertThrows(BindException.class, () -> bind(port, true), "a listener with SO_REUSEADDR bound a held port");
      assertThrows(BindException.class, () -> bind(port, false), "a listener bound a held port");
      assertFalse(Ports.listening(port), "a held port accepted a connection");
    }
    bind(port, false);
  }

  private static void bind(int port, boolean reuseAddress) throws IOException {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(reuseAddress);
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
    }
  }
}
