package dev.courier.tck.internal;

import dev.courier.tck.CrashingConsumer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A {@link ChildConsumerMain} in a JVM of its own, on this JVM's class path, killed with
 * {@link Process#destroyForcibly()}: the broker sees its connections die as after a crash.
 */
public final class ChildJvmConsumer implements CrashingConsumer {
  private final Process process;
  private final Path log;
  private final Set<String> started = ConcurrentHashMap.newKeySet();
  private final CountDownLatch subscribed = new CountDownLatch(1);
  private volatile boolean sawSubscribed;

  private ChildJvmConsumer(Process process, Path log) {
    this.process = process;
    this.log = log;
    Thread reader = new Thread(this::read, "courier-tck-child-reader");
    reader.setDaemon(true);
    reader.start();
  }

  /**
   * Starts the child and waits until it has subscribed.
   *
   * @throws IllegalStateException when it exits or does not subscribe within {@code patience}
   */
  public static ChildJvmConsumer start(Map<String, String> config, String topic, String group, Duration patience) {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
        "-cp", System.getProperty("java.class.path"), ChildConsumerMain.class.getName(), topic, group));
    config.forEach((k, v) -> command.add(k + "=" + v));
    try {
      Path log = Files.createTempFile("courier-tck-child-", ".log");
      Process p = new ProcessBuilder(command).redirectError(log.toFile()).start();
      ChildJvmConsumer child = new ChildJvmConsumer(p, log);
      boolean signalled = child.subscribed.await(patience.toMillis(), TimeUnit.MILLISECONDS);
      if (!signalled || !child.sawSubscribed) {
        String tail = child.tail();
        child.kill();
        throw new IllegalStateException("the consumer JVM " + (signalled ? "exited" : "did not subscribe within "
            + patience) + "; the end of its log: " + tail);
      }
      return child;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start a consumer JVM", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting a consumer JVM", e);
    }
  }

  private void read() {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        if (line.equals(ChildConsumerMain.SUBSCRIBED)) {
          sawSubscribed = true;
          subscribed.countDown();
        } else if (line.startsWith(ChildConsumerMain.STARTED)) {
          started.add(line.substring(ChildConsumerMain.STARTED.length()));
        }
      }
    } catch (IOException e) {
      // the process died: nothing more to read
    }
    subscribed.countDown(); // start() then sees the exit instead of waiting in vain
  }

  @Override
  public Set<String> started() {
    return Set.copyOf(started);
  }

  @Override
  public void kill() {
    process.destroyForcibly();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the consumer JVM outlived destroyForcibly() by 30 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      Files.deleteIfExists(log);
    } catch (IOException ignored) {
      // a temp file
    }
  }

  private String tail() {
    try {
      String text = Files.readString(log);
      return text.length() > 2000 ? text.substring(text.length() - 2000) : text;
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

  @Override
  public String toString() {
    return "ChildJvmConsumer{pid=" + process.pid() + '}';
  }
}
