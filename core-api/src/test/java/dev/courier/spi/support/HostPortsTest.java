package dev.courier.spi.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("HostPorts")
class HostPortsTest {
  @Test
  @DisplayName("well-formed addresses pass trimmed: host names, IPv4, bracketed IPv6 with a zone, lists")
  void wellFormed() {
    for (String good : List.of("127.0.0.1:9092", "[::1]:9092", "kafka-1.example.com:1", "h:65535", "[fe80::1%eth0]:9092")) {
      assertEquals(good, HostPorts.check("address", " " + good + " "));
      assertEquals(good, HostPorts.checkList("servers", good));
    }
    assertEquals("a.example:9092,[::1]:9093", HostPorts.checkList("servers", " a.example:9092 , [::1]:9093 "));
  }

  @Test
  @DisplayName("a malformed address fails naming the parameter and quoting the value, control characters replaced")
  void malformed() {
    for (String bad : List.of("localhost", ":::", "host:0", "host:99999", "host:-1", "host:", "host:x", "[::1]", "[]:9092",
        "[::1:9092", "::1:9092", "PLAINTEXT://h:9092", "h h:1", "a:1,b:2", "")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HostPorts.check("address", bad),
          "accepted '" + bad + "'");
      assertTrue(e.getMessage().startsWith("address must be host:port") && e.getMessage().contains("'" + bad + "'"),
          e.getMessage());
    }
    for (String bad : List.of("h:1,,h:2", "h:1,", ",h:1", " , ", "h:1,h")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HostPorts.checkList("servers", bad),
          "accepted '" + bad + "'");
      assertTrue(e.getMessage().startsWith("servers must be host:port[,host:port...]"), e.getMessage());
    }
    for (String hostile : List.of("h:1\n\u001b[2J", "h:1\u009b2J", "h\u2028x:1", "h\u202ex:1")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HostPorts.check("address", hostile));
      assertTrue(e.getMessage().chars().noneMatch(c -> Character.isISOControl(c) || c == 0x2028 || c == 0x202e),
          e.getMessage());
    }
    NullPointerException npe = assertThrows(NullPointerException.class, () -> HostPorts.check("emulatorHost", null));
    assertEquals("emulatorHost", npe.getMessage());
  }
}
