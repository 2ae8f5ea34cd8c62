package dev.courier.pubsub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.Capability;
import dev.courier.ConfigurationException;
import dev.courier.config.AdapterConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Pub/Sub configuration")
class PubSubConfigTest {
  private static PubSubSettings settings(Map<String, String> values) {
    return PubSubTransportProvider.settings(AdapterConfig.of("gcp-pubsub", PubSubKeys.ALL, values));
  }

  @Test
  @DisplayName("keys are read into settings, and the publish timeout stays under Courier's")
  void keysAreRead() {
    PubSubSettings s = settings(Map.of("project-id", "my-project", "emulator-host", "127.0.0.1:8085",
        "ack-deadline", "20s", "parallel-pull-count", "2", "publish.batch-max-messages", "50",
        "publish-timeout", "1m"));
    assertEquals("my-project", s.projectId());
    assertTrue(s.isEmulator());
    assertEquals(Duration.ofSeconds(20), s.ackDeadline());
    assertEquals(2, s.parallelPullCount());
    assertEquals(50, s.batchMaxMessages());
    assertEquals(Duration.ofSeconds(30), s.publishTimeout(), "capped at courier.publish-timeout (30 s)");
  }

  @Test
  @DisplayName("a missing project id or an ack deadline Pub/Sub refuses fails naming it, before any I/O")
  void badValuesFail() {
    ConfigurationException missing = assertThrows(ConfigurationException.class, () -> settings(Map.of()));
    assertTrue(missing.getMessage().contains("project-id"), missing.getMessage());
    ConfigurationException deadline = assertThrows(ConfigurationException.class,
        () -> settings(Map.of("project-id", "my-project", "ack-deadline", "5s")));
    assertTrue(deadline.getMessage().contains("ack-deadline"), deadline.getMessage());
    for (String bad : java.util.List.of("localhost", "h:99999", "http://h:8085", "[::1")) {
      ConfigurationException host = assertThrows(ConfigurationException.class,
          () -> settings(Map.of("project-id", "my-project", "emulator-host", bad)), "accepted " + bad);
      assertTrue(host.getMessage().contains("emulator-host") && host.getMessage().contains(bad), host.getMessage());
    }
    assertEquals("[::1]:8085", settings(Map.of("project-id", "my-project", "emulator-host", "[::1]:8085")).emulatorHost()
        .orElseThrow());
  }

  @Test
  @DisplayName("the credentials file's path is never printed")
  void credentialsPathHidden() {
    PubSubSettings s = PubSubSettings.builder().projectId("my-project").credentialsFile(Path.of("/secret/key.json"))
        .build();
    assertFalse(s.toString().contains("secret"), s.toString());
  }

  @Test
  @DisplayName("PERSISTENT is declared for the service, not for an emulator")
  void persistentOnlyOnService() {
    PubSubSettings service = PubSubSettings.builder().projectId("my-project").build();
    PubSubSettings emulator = PubSubSettings.builder().projectId("my-project").emulatorHost("127.0.0.1:8085").build();
    assertTrue(PubSubTransport.capabilities(service).has(Capability.PERSISTENT));
    assertFalse(PubSubTransport.capabilities(emulator).has(Capability.PERSISTENT));
    assertEquals(Duration.ofSeconds(600), PubSubTransport.capabilities(service).maxRedeliveryDelay());
  }
}
