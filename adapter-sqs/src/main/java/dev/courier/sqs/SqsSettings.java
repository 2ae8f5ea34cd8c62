package dev.courier.sqs;

import dev.courier.config.ConfigKey;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Everything the SQS transport needs, validated. Immutable; {@link #toString()} masks the secret key.
 * Defaults and checks come from {@link SqsKeys}.
 */
public final class SqsSettings {
  private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9_-]{0,40}");
  private static final Pattern TOPIC = Pattern.compile("[A-Za-z0-9_-]{1,80}");
  /** In {@link #fifoTopics()}: every topic but dead-letter topics is FIFO. */
  public static final String ALL_TOPICS = "*";

  private final String region;
  private final URI endpoint;
  private final String accessKeyId;
  private final String secretAccessKey;
  private final String queuePrefix;
  private final SqsTopology topology;
  private final Duration visibilityTimeout;
  private final int pollers;
  private final Duration waitTime;
  private final int maxMessageBytes;
  private final Duration publishTimeout;
  private final Duration nativeDelayLimit;
  private final Set<String> fifoTopics;
  private final Duration maxVisibility;

  private SqsSettings(Builder b) {
    this.region = b.region;
    this.endpoint = b.endpoint;
    this.accessKeyId = b.accessKeyId;
    this.secretAccessKey = b.secretAccessKey;
    this.queuePrefix = b.queuePrefix;
    this.topology = b.topology;
    this.visibilityTimeout = b.visibilityTimeout;
    this.pollers = b.pollers;
    this.waitTime = b.waitTime;
    this.maxMessageBytes = b.maxMessageBytes;
    this.publishTimeout = b.publishTimeout;
    this.nativeDelayLimit = b.nativeDelayLimit;
    this.fifoTopics = b.fifoTopics;
    this.maxVisibility = b.maxVisibility;
  }

  public static Builder builder() {
    return new Builder();
  }

  public String region() {
    return region;
  }

  public Optional<URI> endpoint() {
    return Optional.ofNullable(endpoint);
  }

  /** Static credentials, or empty for the SDK's default provider chain. */
  public Optional<String> accessKeyId() {
    return Optional.ofNullable(accessKeyId);
  }

  String secretAccessKey() {
    return secretAccessKey;
  }

  public String queuePrefix() {
    return queuePrefix;
  }

  public SqsTopology topology() {
    return topology;
  }

  public Duration visibilityTimeout() {
    return visibilityTimeout;
  }

  public int pollers() {
    return pollers;
  }

  public Duration waitTime() {
    return waitTime;
  }

  public int maxMessageBytes() {
    return maxMessageBytes;
  }

  public Duration publishTimeout() {
    return publishTimeout;
  }

  /** The longest delay SQS applies itself ({@code DelaySeconds}, 15 minutes); longer ones hop. */
  public Duration nativeDelayLimit() {
    return nativeDelayLimit;
  }

  /**
   * The topics that are FIFO ({@code courier.sqs.fifo-topics}); {@value #ALL_TOPICS} alone stands for
   * every topic but dead-letter topics. Empty: none.
   */
  public Set<String> fifoTopics() {
    return fifoTopics;
  }

  /**
   * The longest a received message can stay invisible, counted from its receive: SQS's 12 hours. A
   * redelivery delay that would end later travels as a copy carrying its due time. Tests shorten it.
   */
  public Duration maxVisibility() {
    return maxVisibility;
  }

  @Override
  public String toString() {
    return "SqsSettings{region=" + region + ", endpoint=" + endpoint + ", credentials="
        + (accessKeyId == null ? "default chain" : "static ****") + ", queuePrefix='" + queuePrefix
        + "', topology=" + topology + ", visibilityTimeout=" + visibilityTimeout + ", pollers=" + pollers
        + ", waitTime=" + waitTime + ", maxMessageBytes=" + maxMessageBytes
        + (fifoTopics.isEmpty() ? "" : ", fifoTopics=" + fifoTopics) + '}';
  }

  /** Builds {@link SqsSettings}; each setter checks its argument, naming it. */
  public static final class Builder {
    private String region = SqsKeys.REGION.parsedDefault();
    private URI endpoint;
    private String accessKeyId;
    private String secretAccessKey;
    private String queuePrefix = "";
    private SqsTopology topology = SqsKeys.TOPOLOGY.parsedDefault();
    private Duration visibilityTimeout = SqsKeys.VISIBILITY_TIMEOUT.parsedDefault();
    private int pollers = SqsKeys.POLLERS.parsedDefault();
    private Duration waitTime = SqsKeys.WAIT_TIME.parsedDefault();
    private int maxMessageBytes = SqsKeys.MAX_MESSAGE_BYTES.parsedDefault();
    private Duration publishTimeout = Duration.ofSeconds(30);
    private Duration nativeDelayLimit = Duration.ofMinutes(15);
    private Set<String> fifoTopics = Set.of();
    private Duration maxVisibility = Duration.ofHours(12);

    private Builder() {}

    public Builder region(String region) {
      this.region = check(SqsKeys.REGION, Objects.requireNonNull(region, "region"));
      if (region.isBlank()) {
        throw new IllegalArgumentException("region must not be blank");
      }
      return this;
    }

    /** {@code http(s)://host[:port]}. */
    public Builder endpoint(String endpoint) {
      Objects.requireNonNull(endpoint, "endpoint");
      URI uri;
      try {
        uri = URI.create(endpoint);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("endpoint is not a URI: " + e.getMessage());
      }
      if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
          || uri.getUserInfo() != null) {
        throw new IllegalArgumentException("endpoint must be http(s)://host[:port] without user info, was '"
            + uri.getScheme() + "://" + uri.getHost() + "...'");
      }
      this.endpoint = uri;
      return this;
    }

    public Builder credentials(String accessKeyId, String secretAccessKey) {
      Objects.requireNonNull(accessKeyId, "accessKeyId");
      if (secretAccessKey == null) {
        throw new IllegalArgumentException("access-key-id is set without secret-access-key");
      }
      this.accessKeyId = accessKeyId;
      this.secretAccessKey = secretAccessKey;
      return this;
    }

    public Builder queuePrefix(String prefix) {
      Objects.requireNonNull(prefix, "queuePrefix");
      if (!PREFIX.matcher(prefix).matches()) {
        throw new IllegalArgumentException("queue-prefix may hold only letters, digits, '_' and '-', at most 40");
      }
      this.queuePrefix = prefix;
      return this;
    }

    public Builder topology(SqsTopology topology) {
      this.topology = Objects.requireNonNull(topology, "topology");
      return this;
    }

    public Builder visibilityTimeout(Duration timeout) {
      check(SqsKeys.VISIBILITY_TIMEOUT, timeout);
      if (timeout.toMillis() % 1000 != 0 || timeout.compareTo(Duration.ofSeconds(2)) < 0
          || timeout.compareTo(Duration.ofHours(12)) > 0) {
        throw new IllegalArgumentException("visibility-timeout must be whole seconds from 2 s to 12 h, was " + timeout);
      }
      this.visibilityTimeout = timeout;
      return this;
    }

    public Builder pollers(int pollers) {
      this.pollers = check(SqsKeys.POLLERS, pollers);
      return this;
    }

    public Builder waitTime(Duration waitTime) {
      check(SqsKeys.WAIT_TIME, waitTime);
      if (waitTime.toMillis() % 1000 != 0 || waitTime.compareTo(Duration.ofSeconds(20)) > 0) {
        throw new IllegalArgumentException("wait-time must be whole seconds from 1 to 20 s, was " + waitTime);
      }
      this.waitTime = waitTime;
      return this;
    }

    public Builder maxMessageBytes(int bytes) {
      this.maxMessageBytes = check(SqsKeys.MAX_MESSAGE_BYTES, bytes);
      return this;
    }

    public Builder publishTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "publishTimeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("publishTimeout must be positive, was " + timeout);
      }
      this.publishTimeout = timeout;
      return this;
    }

    /**
     * The longest delay SQS applies by itself; 15 minutes, as on SQS. Tests shorten it to run a
     * long delayed publish through its hops quickly.
     */
    public Builder nativeDelayLimit(Duration limit) {
      Objects.requireNonNull(limit, "nativeDelayLimit");
      if (limit.compareTo(Duration.ofSeconds(1)) < 0 || limit.compareTo(Duration.ofMinutes(15)) > 0) {
        throw new IllegalArgumentException("nativeDelayLimit must be 1 s to 15 min, was " + limit);
      }
      this.nativeDelayLimit = limit;
      return this;
    }

    /** Comma-separated topic names, or {@code *} for every topic but dead-letter topics; blank for none. */
    public Builder fifoTopics(String topics) {
      Objects.requireNonNull(topics, "fifoTopics");
      Set<String> set = new TreeSet<>();
      for (String t : topics.split(",")) {
        String topic = t.strip();
        if (topic.isEmpty()) {
          continue;
        }
        if (!topic.equals(ALL_TOPICS) && !TOPIC.matcher(topic).matches()) {
          throw new IllegalArgumentException("fifo-topics holds '" + topic + "': list topic names (letters, digits, "
              + "'_' and '-'), comma-separated, or '*' alone");
        }
        set.add(topic);
      }
      if (set.contains(ALL_TOPICS) && set.size() > 1) {
        throw new IllegalArgumentException("fifo-topics: '*' already means every topic; list no others with it");
      }
      this.fifoTopics = Set.copyOf(set);
      return this;
    }

    /**
     * The longest a received message may stay invisible, from its receive; 12 hours, as on SQS
     * (ElasticMQ does not enforce it). Tests shorten it to take the path of longer redelivery delays.
     */
    public Builder maxVisibility(Duration max) {
      Objects.requireNonNull(max, "maxVisibility");
      if (max.toMillis() % 1000 != 0 || max.compareTo(Duration.ofSeconds(2)) < 0
          || max.compareTo(Duration.ofHours(12)) > 0) {
        throw new IllegalArgumentException("maxVisibility must be whole seconds from 2 s to 12 h, was " + max);
      }
      this.maxVisibility = max;
      return this;
    }

    public SqsSettings build() {
      return new SqsSettings(this);
    }

    private static <T> T check(ConfigKey<T> key, T value) {
      return key.check(key.name(), value);
    }
  }
}
