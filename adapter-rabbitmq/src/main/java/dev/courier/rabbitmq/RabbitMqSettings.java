package dev.courier.rabbitmq;

import static dev.courier.rabbitmq.RabbitMqKeys.*;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How the RabbitMQ adapter connects and what it declares. Immutable; built by a validating
 * {@link Builder} whose errors name the bad parameter. The password and the trust store's password
 * never appear in {@link #toString()}.
 */
public final class RabbitMqSettings {
  private final String host;
  private final int port;
  private final String virtualHost;
  private final String username;
  private final String password;
  private final boolean tls;
  private final Path trustStore;
  private final String trustStorePassword;
  private final String trustStoreType;
  private final boolean verifyHostname;
  private final String connectionName;
  private final int channelPoolSize;
  private final QueueType queueType;
  private final boolean singleActiveConsumer;
  private final Duration publishTimeout;
  private final Duration connectionTimeout;
  private final Duration recoveryInterval;
  private final int maxPayloadBytes;

  private RabbitMqSettings(Builder b) {
    this.host = b.host;
    this.port = b.port != 0 ? b.port : b.tls ? 5671 : 5672;
    this.virtualHost = b.virtualHost;
    this.username = b.username;
    this.password = b.password;
    this.tls = b.tls;
    this.trustStore = b.trustStore;
    this.trustStorePassword = b.trustStorePassword;
    this.trustStoreType = b.trustStoreType;
    this.verifyHostname = b.verifyHostname;
    this.connectionName = b.connectionName;
    this.channelPoolSize = b.channelPoolSize;
    this.queueType = b.queueType;
    this.singleActiveConsumer = b.singleActiveConsumer;
    this.publishTimeout = b.publishTimeout;
    this.connectionTimeout = b.connectionTimeout;
    this.recoveryInterval = b.recoveryInterval;
    this.maxPayloadBytes = b.maxPayloadBytes;
  }

  public static Builder builder() {
    return new Builder();
  }

  public String host() {
    return host;
  }

  /** The port; 5672, or 5671 with TLS, unless set. */
  public int port() {
    return port;
  }

  public String virtualHost() {
    return virtualHost;
  }

  public String username() {
    return username;
  }

  /** The password; keep it out of logs. */
  public String password() {
    return password;
  }

  public boolean tls() {
    return tls;
  }

  /** The trust store holding the server's CA; empty: the JVM's default trust store. */
  public Optional<Path> trustStore() {
    return Optional.ofNullable(trustStore);
  }

  public Optional<String> trustStorePassword() {
    return Optional.ofNullable(trustStorePassword);
  }

  public String trustStoreType() {
    return trustStoreType;
  }

  /** Whether TLS checks that the server's certificate names {@link #host()}. */
  public boolean verifyHostname() {
    return verifyHostname;
  }

  /** Shown in the management UI for each connection (with a "-publish"/"-consume" suffix). */
  public String connectionName() {
    return connectionName;
  }

  /** Confirm-tracking channels used for publishing, each used by one publishing thread at a time. */
  public int channelPoolSize() {
    return channelPoolSize;
  }

  public QueueType queueType() {
    return queueType;
  }

  /**
   * Whether group queues are declared with {@code x-single-active-consumer}: only one subscriber of
   * a group receives at a time (the others are hot standbys), so key order holds across processes.
   */
  public boolean singleActiveConsumer() {
    return singleActiveConsumer;
  }

  /** A publish not confirmed within this fails with a PublishException. */
  public Duration publishTimeout() {
    return publishTimeout;
  }

  public Duration connectionTimeout() {
    return connectionTimeout;
  }

  /** Pause between reconnection attempts after the connection was lost. */
  public Duration recoveryInterval() {
    return recoveryInterval;
  }

  public int maxPayloadBytes() {
    return maxPayloadBytes;
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.host = host;
    b.port = port;
    b.virtualHost = virtualHost;
    b.username = username;
    b.password = password;
    b.tls = tls;
    b.trustStore = trustStore;
    b.trustStorePassword = trustStorePassword;
    b.trustStoreType = trustStoreType;
    b.verifyHostname = verifyHostname;
    b.connectionName = connectionName;
    b.channelPoolSize = channelPoolSize;
    b.queueType = queueType;
    b.singleActiveConsumer = singleActiveConsumer;
    b.publishTimeout = publishTimeout;
    b.connectionTimeout = connectionTimeout;
    b.recoveryInterval = recoveryInterval;
    b.maxPayloadBytes = maxPayloadBytes;
    return b;
  }

  /** Every setting; passwords masked. */
  @Override
  public String toString() {
    return "RabbitMqSettings{" + (tls ? "amqps" : "amqp") + "://" + username + ":****@" + host + ":" + port
        + "/" + virtualHost + ", tls=" + tls
        + (tls ? ", trustStore=" + (trustStore == null ? "(JVM default)" : trustStore)
            + ", trustStorePassword=" + (trustStorePassword == null ? "(none)" : "****")
            + ", verifyHostname=" + verifyHostname : "")
        + ", connectionName=" + connectionName + ", channelPoolSize=" + channelPoolSize
        + ", queueType=" + queueType + ", singleActiveConsumer=" + singleActiveConsumer
        + ", publishTimeout=" + publishTimeout + ", connectionTimeout=" + connectionTimeout
        + ", recoveryInterval=" + recoveryInterval + ", maxPayloadBytes=" + maxPayloadBytes + '}';
  }

  /** Builds {@link RabbitMqSettings}; defaults reach a local broker as guest. */
  public static final class Builder {
    private String host = HOST.parsedDefault();
    private int port;
    private String virtualHost = VIRTUAL_HOST.parsedDefault();
    private String username = USERNAME.parsedDefault();
    private String password = PASSWORD.parsedDefault();
    private boolean tls = TLS.parsedDefault();
    private String uriScheme;
    private Path trustStore;
    private String trustStorePassword;
    private String trustStoreType = TRUST_STORE_TYPE.parsedDefault();
    private boolean verifyHostname = VERIFY_HOSTNAME.parsedDefault();
    private String connectionName = CONNECTION_NAME.parsedDefault();
    private int channelPoolSize = CHANNEL_POOL_SIZE.parsedDefault();
    private QueueType queueType = QUEUE_TYPE.parsedDefault();
    private boolean singleActiveConsumer = SINGLE_ACTIVE_CONSUMER.parsedDefault();
    private Duration publishTimeout = PUBLISH_TIMEOUT.parsedDefault();
    private Duration connectionTimeout = CONNECTION_TIMEOUT.parsedDefault();
    private Duration recoveryInterval = RECOVERY_INTERVAL.parsedDefault();
    private int maxPayloadBytes = MAX_PAYLOAD_BYTES.parsedDefault();

    private Builder() {}

    /**
     * Host, port, virtual host, user and password (and TLS for {@code amqps}) from an AMQP URI
     * such as {@code amqp://app:secret@rabbit:5672/orders}; parts the URI lacks keep their values.
     * The authority is parsed by hand ({@link java.net.URI} gives up on host names with '_' and
     * would silently leave every part unset). An {@code amqp://} URI with {@code tls(true)} is
     * rejected by {@link #build()}: TLS is never turned off by a URI. Errors never quote the URI.
     */
    public Builder uri(String uri) {
      Objects.requireNonNull(uri, "uri");
      String u = uri.trim();
      int sep = u.indexOf("://");
      String scheme = sep < 0 ? null : u.substring(0, sep).toLowerCase(java.util.Locale.ROOT);
      if (!"amqp".equals(scheme) && !"amqps".equals(scheme)) {
        throw new IllegalArgumentException("uri must start with amqp:// or amqps://, was "
            + (scheme == null ? "no scheme" : "'" + (scheme.matches("[a-z][a-z0-9+.-]*") ? scheme : "?") + "://'"));
      }
      String rest = u.substring(sep + 3);
      int end = rest.length();
      for (char c : new char[] {'/', '?', '#'}) {
        int i = rest.indexOf(c);
        if (i >= 0 && i < end) {
          end = i;
        }
      }
      String authority = rest.substring(0, end);
      String tail = rest.substring(end);
      int at = authority.lastIndexOf('@');
      String userInfo = at < 0 ? null : authority.substring(0, at);
      String hostPort = authority.substring(at + 1);
      String h;
      String p = null;
      if (hostPort.startsWith("[")) {
        int close = hostPort.indexOf(']');
        if (close < 0) {
          throw new IllegalArgumentException("uri has an IPv6 host without its closing ']'");
        }
        h = hostPort.substring(1, close);
        String after = hostPort.substring(close + 1);
        if (!after.isEmpty()) {
          if (!after.startsWith(":")) {
            throw new IllegalArgumentException("uri has characters after its IPv6 host that are not a :port");
          }
          p = after.substring(1);
        }
      } else {
        int colon = hostPort.lastIndexOf(':');
        h = colon < 0 ? hostPort : hostPort.substring(0, colon);
        p = colon < 0 ? null : hostPort.substring(colon + 1);
        if (!h.isEmpty() && !h.matches("[A-Za-z0-9._~%-]+")) {
          throw new IllegalArgumentException("uri has an invalid host name: only letters, digits, '.', '-', '_' "
              + "and '~' are allowed (an IPv6 address goes in brackets)");
        }
      }
      Integer portNumber = null;
      if (p != null && !p.isEmpty()) {
        if (!p.matches("[0-9]{1,5}")) {
          throw new IllegalArgumentException("uri has an invalid port: digits expected after the host's ':'");
        }
        portNumber = Integer.parseInt(p);
      }
      String path = null;
      if (tail.startsWith("/")) {
        int q = tail.length();
        for (char c : new char[] {'?', '#'}) {
          int i = tail.indexOf(c);
          if (i >= 0 && i < q) {
            q = i;
          }
        }
        path = tail.substring(1, q);
        if (path.contains("/")) {
          throw new IllegalArgumentException("uri path must be one segment, the virtual host (encode '/' as %2F)");
        }
      }
      // Everything parsed: only now change the builder, so a bad URI leaves it as it was.
      uriScheme = scheme;
      if ("amqps".equals(scheme)) {
        tls = true;
      }
      if (!h.isEmpty()) {
        host = decode(h, "host");
      }
      if (portNumber != null) {
        port(portNumber);
      }
      if (userInfo != null) {
        int colon = userInfo.indexOf(':');
        username = decode(colon < 0 ? userInfo : userInfo.substring(0, colon), "user name");
        if (colon >= 0) {
          password = decode(userInfo.substring(colon + 1), "password");
        }
      }
      if (path != null && !path.isEmpty()) {
        virtualHost = decode(path, "virtual host");
      }
      return this;
    }

    public Builder host(String host) {
      this.host = notBlank(host, "host");
      return this;
    }

    public Builder port(int port) {
      this.port = PORT.check("port", port);
      return this;
    }

    public Builder virtualHost(String virtualHost) {
      this.virtualHost = notBlank(virtualHost, "virtualHost");
      return this;
    }

    public Builder username(String username) {
      this.username = notBlank(username, "username");
      return this;
    }

    public Builder password(String password) {
      this.password = Objects.requireNonNull(password, "password");
      return this;
    }

    public Builder tls(boolean tls) {
      this.tls = tls;
      return this;
    }

    /** A trust store file (PKCS12 or JKS) with the CA that signed the server's certificate. */
    public Builder trustStore(Path file, String password) {
      this.trustStore = Objects.requireNonNull(file, "trustStore");
      this.trustStorePassword = password;
      return this;
    }

    public Builder trustStoreType(String type) {
      this.trustStoreType = notBlank(type, "trustStoreType");
      return this;
    }

    public Builder verifyHostname(boolean verify) {
      this.verifyHostname = verify;
      return this;
    }

    public Builder connectionName(String name) {
      this.connectionName = notBlank(name, "connectionName");
      return this;
    }

    public Builder channelPoolSize(int size) {
      this.channelPoolSize = CHANNEL_POOL_SIZE.check("channelPoolSize", size);
      return this;
    }

    public Builder queueType(QueueType type) {
      this.queueType = Objects.requireNonNull(type, "queueType");
      return this;
    }

    public Builder singleActiveConsumer(boolean enabled) {
      this.singleActiveConsumer = enabled;
      return this;
    }

    public Builder publishTimeout(Duration timeout) {
      this.publishTimeout = PUBLISH_TIMEOUT.check("publishTimeout", timeout);
      return this;
    }

    public Builder connectionTimeout(Duration timeout) {
      this.connectionTimeout = CONNECTION_TIMEOUT.check("connectionTimeout", timeout);
      return this;
    }

    public Builder recoveryInterval(Duration interval) {
      this.recoveryInterval = RECOVERY_INTERVAL.check("recoveryInterval", interval);
      return this;
    }

    /** Largest payload accepted, at most 128 MiB (RabbitMQ's own limit). */
    public Builder maxPayloadBytes(int bytes) {
      this.maxPayloadBytes = MAX_PAYLOAD_BYTES.check("maxPayloadBytes", bytes);
      return this;
    }

    public RabbitMqSettings build() {
      if (tls && "amqp".equals(uriScheme)) {
        throw new IllegalArgumentException("tls is on but the uri starts with amqp:// (plain text): use an "
            + "amqps:// uri, or turn tls off");
      }
      if (trustStore != null && !tls) {
        throw new IllegalArgumentException("trustStore is set but tls is off: use tls(true) or an amqps:// uri");
      }
      return new RabbitMqSettings(this);
    }

    private static String notBlank(String value, String name) {
      Objects.requireNonNull(value, name);
      if (value.isBlank()) {
        throw new IllegalArgumentException(name + " must not be blank");
      }
      return value;
    }

    /** Percent-decodes a URI part; errors name the part, never its value (it may be the password). */
    private static String decode(String s, String part) {
      try {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("uri has an invalid %-escape in its " + part);
      }
    }
  }
}
