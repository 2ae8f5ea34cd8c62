package dev.courier.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.courier.config.ConfigKey;
import dev.courier.config.CourierConfig;
import dev.courier.spi.TransportProvider;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * README's configuration table is generated from the {@link ConfigKey} declarations (the top-level
 * keys and every adapter on the class path): this test fails while the table between the markers
 * is stale, and rewrites it when run with {@code -Dcourier.readme.write=true}.
 */
@DisplayName("README's configuration table")
class ReadmeConfigTableTest {
  private static final String BEGIN = "<!-- configuration table: generated from the ConfigKey declarations by "
      + "ReadmeConfigTableTest (-Dcourier.readme.write=true rewrites it) -->\n";
  private static final String END = "<!-- end of generated configuration table -->\n";

  @Test
  @DisplayName("is the one generated from the declared keys: every key with its default and description")
  void matchesDeclarations() throws IOException {
    Path readme = Path.of("..", "README.md");
    String text = Files.readString(readme, StandardCharsets.UTF_8);
    int begin = text.indexOf(BEGIN);
    int end = text.indexOf(END);
    assertTrue(begin >= 0 && end > begin, "README.md lacks the markers around the configuration table");
    String generated = BEGIN + table() + END;
    String updated = text.substring(0, begin) + generated + text.substring(end + END.length());
    if (Boolean.getBoolean("courier.readme.write")) {
      Files.writeString(readme, updated, StandardCharsets.UTF_8);
      return;
    }
    assertEquals(generated, text.substring(begin, end + END.length()),
        "README.md's configuration table is stale: run this test with -Dcourier.readme.write=true");
  }

  private static String table() {
    List<TransportProvider> providers = ServiceLoader.load(TransportProvider.class).stream()
        .map(ServiceLoader.Provider::get).sorted(Comparator.comparing(TransportProvider::name)).toList();
    assertTrue(providers.size() >= 3, "expected the in-memory, RabbitMQ and Kafka adapters on the class path");
    String names = providers.stream().map(p -> "`" + p.name() + "`").collect(Collectors.joining(", "));
    StringBuilder t = new StringBuilder("| key | default | meaning |\n|---|---|---|\n");
    for (ConfigKey<?> k : CourierConfig.KEYS) {
      String description = k.name().equals("broker") ? k.description() + ": " + names : k.description();
      row(t, "courier." + k.name(), k, description);
    }
    for (TransportProvider p : providers) {
      for (ConfigKey<?> k : p.configKeys()) {
        row(t, "courier." + p.name() + "." + k.name(), k, k.description());
      }
    }
    return t.toString();
  }

  private static void row(StringBuilder t, String key, ConfigKey<?> k, String description) {
    t.append("| `").append(key).append("` | ").append(k.documentedDefault()).append(" | ")
        .append(description.replace("|", "\\|")).append(" |\n");
  }
}
