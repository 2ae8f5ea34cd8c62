package dev.courier.pubsub;

import static dev.courier.pubsub.PubSubKeys.*;

import dev.courier.spi.support.HostPorts;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * How the Pub/Sub adapter connects and behaves; immutable, built by a validating {@link Builder}
 * whose defaults and checks come from {@link PubSubKeys}. Either an emulator ({@link #emulatorHost()}:
 * plaintext, no credentials) or the service ({@link #endpoint()} with TLS and credentials from
 * {@link #credentialsFile()} or Application Default Credentials). The credentials file's path is
 * never printed.
 */
public final class PubSubSettings {
  private static final Pattern PROJECT = Pattern.compile("[a-z][a-z0-9\\-]{4,28}[a-z0-9]|[a-z][a-z0-9.:\\-]{2,99}");

  private final String projectId;
  private final String emulatorHost;
  private final String endpoint;
  private final Path credentialsFile;
  private final Duration ackDeadline;
  private final Duration maxLeaseExtension;
  private final int parallelPullCount;
  private final int maxOutstandingBytes;
  private final int batchMaxMessages;
  private final int batchMaxBytes;
  private final Duration batchDelay;
  private final Duration publishTimeout;
  private final Duration adminTimeout;

  private PubSubSettings(Builder b) {
    this.projectId = b.projectId;
    this.emulatorHost = b.emulatorHost;
    this.endpoint = b.endpoint;
    this.credentialsFile = b.credentialsFile;
    this.ackDeadline = b.ackDeadline;
    this.maxLeaseExtension = b.maxLeaseExtension;
    this.parallelPullCount = b.parallelPullCount;
    this.maxOutstandingBytes = b.maxOutstandingBytes;
    this.batchMaxMessages = b.batchMaxMessages;
    this.batchMaxBytes = b.batchMaxBytes;
    this.batchDelay = b.batchDelay;
    this.publishTimeout = b.publishTimeout;
    this.adminTimeout = b.adminTimeout;
  }

  public static Builder builder() {
    return new Builder();
  }

  public String projectId() {
    return projectId;
  }

  /** The emulator's {@code host:port}, if this talks to an emulator. */
  public Optional<String> emulatorHost() {
    return Optional.ofNullable(emulatorHost);
  }

  public boolean isEmulator() {
    return emulatorHost != null;
  }

  public String endpoint() {
    return endpoint;
  }

  public Optional<Path> credentialsFile() {
    return Optional.ofNullable(credentialsFile);
  }

  public Duration ackDeadline() {
    return ackDeadline;
  }

  public Duration maxLeaseExtension() {
    return maxLeaseExtension;
  }

  public int parallelPullCount() {
    return parallelPullCount;
  }

  public int maxOutstandingBytes() {
    return maxOutstandingBytes;
  }

  public int batchMaxMessages() {
    return batchMaxMessages;
  }

  public int batchMaxBytes() {
    return batchMaxBytes;
  }

  public Duration batchDelay() {
    return batchDelay;
  }

  public Duration publishTimeout() {
    return publishTimeout;
  }

  public Duration adminTimeout() {
    return adminTimeout;
  }

  @Override
  public String toString() {
    return "PubSubSettings{project=" + projectId
        + (emulatorHost != null ? ", emulator=" + emulatorHost : ", endpoint=" + endpoint
            + (credentialsFile != null ? ", credentials=file" : ", credentials=default"))
        + ", ackDeadline=" + ackDeadline + ", parallelPullCount=" + parallelPullCount
        + ", batch=" + batchMaxMessages + "/" + batchMaxBytes + "B/" + batchDelay + ", publishTimeout=" + publishTimeout
        + '}';
  }

  /** Validating builder; every setter checks its argument and names it in the error. */
  public static final class Builder {
    private String projectId;
    private String emulatorHost;
    private String endpoint = ENDPOINT.parsedDefault();
    private Path credentialsFile;
    private Duration ackDeadline = ACK_DEADLINE.parsedDefault();
    private Duration maxLeaseExtension = MAX_LEASE_EXTENSION.parsedDefault();
    private int parallelPullCount = PARALLEL_PULL_COUNT.parsedDefault();
    private int maxOutstandingBytes = MAX_OUTSTANDING_BYTES.parsedDefault();
    private int batchMaxMessages = BATCH_MAX_MESSAGES.parsedDefault();
    private int batchMaxBytes = BATCH_MAX_BYTES.parsedDefault();
    private Duration batchDelay = BATCH_DELAY.parsedDefault();
    private Duration publishTimeout = PUBLISH_TIMEOUT.parsedDefault();
    private Duration adminTimeout = ADMIN_TIMEOUT.parsedDefault();

    private Builder() {}

    /** The Google Cloud project id (required). */
    public Builder projectId(String projectId) {
      Objects.requireNonNull(projectId, "projectId");
      if (!PROJECT.matcher(projectId).matches()) {
        throw new IllegalArgumentException("projectId must be a Google Cloud project id (lower-case letters, digits"
            + " and '-', starting with a letter), was '" + printable(projectId) + "'");
      }
      this.projectId = projectId;
      return this;
    }

    /** {@code host:port} of an emulator; null to talk to the service. */
    public Builder emulatorHost(String hostPort) {
      this.emulatorHost = hostPort == null ? null : HostPorts.check("emulatorHost", hostPort);
      return this;
    }

    public Builder endpoint(String hostPort) {
      this.endpoint = HostPorts.check("endpoint", Objects.requireNonNull(hostPort, "endpoint"));
      return this;
    }

    public Builder credentialsFile(Path file) {
      this.credentialsFile = Objects.requireNonNull(file, "credentialsFile");
      return this;
    }

    /** The lease of a delivery: whole seconds from 10 s to 600 s (Pub/Sub's bounds for a streaming pull). */
    public Builder ackDeadline(Duration deadline) {
      ACK_DEADLINE.check("ackDeadline", deadline);
      if (deadline.compareTo(Duration.ofSeconds(10)) < 0 || deadline.compareTo(Duration.ofSeconds(600)) > 0
          || deadline.toMillis() % 1000 != 0) {
        throw new IllegalArgumentException("ackDeadline must be whole seconds from 10s to 600s, was " + deadline);
      }
      this.ackDeadline = deadline;
      return this;
    }

    public Builder maxLeaseExtension(Duration max) {
      this.maxLeaseExtension = MAX_LEASE_EXTENSION.check("maxLeaseExtension", max);
      return this;
    }

    public Builder parallelPullCount(int count) {
      this.parallelPullCount = PARALLEL_PULL_COUNT.check("parallelPullCount", count);
      return this;
    }

    public Builder maxOutstandingBytes(int bytes) {
      this.maxOutstandingBytes = MAX_OUTSTANDING_BYTES.check("maxOutstandingBytes", bytes);
      return this;
    }

    public Builder batchMaxMessages(int count) {
      this.batchMaxMessages = BATCH_MAX_MESSAGES.check("batchMaxMessages", count);
      return this;
    }

    public Builder batchMaxBytes(int bytes) {
      this.batchMaxBytes = BATCH_MAX_BYTES.check("batchMaxBytes", bytes);
      return this;
    }

    public Builder batchDelay(Duration delay) {
      this.batchDelay = BATCH_DELAY.check("batchDelay", delay);
      return this;
    }

    public Builder publishTimeout(Duration timeout) {
      this.publishTimeout = PUBLISH_TIMEOUT.check("publishTimeout", timeout);
      return this;
    }

    public Builder adminTimeout(Duration timeout) {
      this.adminTimeout = ADMIN_TIMEOUT.check("adminTimeout", timeout);
      return this;
    }

    public PubSubSettings build() {
      if (projectId == null) {
        throw new IllegalArgumentException("projectId is required");
      }
      return new PubSubSettings(this);
    }

    private static String printable(String s) {
      String p = s.replaceAll("\\p{Cntrl}", "?");
      return p.length() <= 80 ? p : p.substring(0, 77) + "...";
    }
  }
}
