package dev.courier.sqs;

import dev.courier.testsupport.FauxqsServer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("fauxqs is started bound to loopback only")
class FauxqsServerTest {
  @Test
  @DisplayName("the only socket listening on fauxqs's port is on 127.0.0.1, not 0.0.0.0 or ::")
  void boundToLoopback() throws Exception {
    FauxqsServer server = FauxqsServer.shared();
    List<String> bound = server.boundAddresses();
    assertFalse(bound.isEmpty(), "nothing listens on " + server.endpoint());
    assertEquals(List.of("127.0.0.1"), bound, "fauxqs listens on " + bound);
  }

  @Test
  @DisplayName("the server exits when its standard input ends, as when the test JVM is killed")
  void exitsOnEndOfInput() throws Exception {
    try (FauxqsServer server = FauxqsServer.started()) {
      Process p = server.closeInput();
      assertTrue(p.waitFor(15, TimeUnit.SECONDS), "fauxqs still runs 15 s after its input ended");
    }
  }
}
