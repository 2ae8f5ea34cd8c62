package dev.courier.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.config.ConfigKey;
import dev.courier.spi.TransportProvider;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("README's configuration table")
class ReadmeConfigTableTest {
  @Test
  @DisplayName("lists every key every adapter on the class path declares")
  void listsEveryDeclaredKey() throws IOException {
    Path readme = Path.of("..", "README.md");
    String text = Files.readString(readme, StandardCharsets.UTF_8);
    List<String> missing = new ArrayList<>();
    int providers = 0;
    for (TransportProvider p : ServiceLoader.load(TransportProvider.class)) {
      providers++;
      for (ConfigKey k : p.configKeys()) {
        String key = "`courier." + p.name() + "." + k.name() + "`";
        if (!text.contains(key)) {
          missing.add(key);
        }
      }
    }
    assertTrue(providers >= 1, "no adapter found on the class path");
    assertTrue(missing.isEmpty(), "README.md's configuration table lacks " + missing);
  }
}
