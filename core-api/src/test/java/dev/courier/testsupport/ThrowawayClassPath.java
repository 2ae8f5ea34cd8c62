package dev.courier.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Supplier;

/** A class loader over a temporary directory of resources, child of the test class loader. */
public final class ThrowawayClassPath {
  private ThrowawayClassPath() {}

  /** Writes {@code resources} (path → content) under {@code dir} and returns a loader over it. */
  public static URLClassLoader with(Path dir, Map<String, String> resources) {
    try {
      for (Map.Entry<String, String> e : resources.entrySet()) {
        Path file = dir.resolve(e.getKey());
        Files.createDirectories(file.getParent());
        Files.writeString(file, e.getValue(), StandardCharsets.UTF_8);
      }
      return new URLClassLoader(new URL[] {dir.toUri().toURL()}, ThrowawayClassPath.class.getClassLoader());
    } catch (MalformedURLException e) {
      throw new IllegalStateException(e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Runs {@code action} with {@code loader} as the thread's context class loader. */
  public static <T> T inContext(ClassLoader loader, Supplier<T> action) {
    Thread thread = Thread.currentThread();
    ClassLoader previous = thread.getContextClassLoader();
    thread.setContextClassLoader(loader);
    try {
      return action.get();
    } finally {
      thread.setContextClassLoader(previous);
    }
  }
}
