package dev.courier.sqs;

import dev.courier.Capabilities;
import dev.courier.Capability;
import dev.courier.GroupOptions;
import dev.courier.IncompatibleGroupException;
import dev.courier.Message;
import dev.courier.PayloadTooLargeException;
import dev.courier.UnsupportedCapabilityException;
import dev.courier.spi.DeliverySink;
import dev.courier.spi.NamingRules;
import dev.courier.spi.ReceiveSpec;
import dev.courier.spi.Receiver;
import dev.courier.spi.Transport;
import dev.courier.spi.support.Threads;
import dev.courier.sqs.internal.Fifo;
import dev.courier.sqs.internal.QueueDirectory;
import dev.courier.sqs.internal.Resender;
import dev.courier.sqs.internal.SendBatcher;
import dev.courier.sqs.internal.Settler;
import dev.courier.sqs.internal.SqsContext;
import dev.courier.sqs.internal.SnsDirectory;
import dev.courier.sqs.internal.SqsReceiver;
import dev.courier.sqs.internal.Topology;
import dev.courier.sqs.internal.UncountedReceives;
import dev.courier.sqs.internal.WireFormat;
import dev.courier.spi.support.OpenReceivers;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sns.SnsClientBuilder;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.SqsClientBuilder;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * Amazon SQS through the AWS SDK v2, topology {@code queue}: a topic is one queue, owned by one
 * group whose consumers compete (see {@link QueueDirectory}). Publishing completes on SQS's
 * response; {@link #sendAll} sends batches of 10 and fails exactly the entries SQS refused.
 * Consuming long-polls ({@link SqsReceiver}); acks are batched deletes, a nack with delay changes
 * the message's visibility (on a standard queue a copy carrying its due time beyond SQS's 12 hours), release and defer
 * return an uncounted copy (on FIFO queues: a visibility change not counted). Delays beyond SQS's 15
 * minutes (any, on FIFO queues and SNS) travel as a due time in the message, hidden again on every
 * early receive until due. Topics named in {@code fifo-topics} are FIFO ({@link Fifo}).
 */
public final class SqsTransport implements Transport {
  /** The adapter's name in {@code courier.broker}; {@link #name()} adds {@code -sns} in the SNS topology. */
  public static final String NAME = "sqs";
  /** Bytes of every message kept for the adapter's own attribute, the id and key, and per-header wire cost. */
  static final int OVERHEAD_BYTES = 5120;

  private final SqsSettings settings;
  private final SqsClient sqs;
  private final NamingRules naming;
  private final Capabilities capabilities;
  private final Topology queues;
  private final SnsClient sns; // null in the queue topology
  private final Settler settler;
  private final ExecutorService io;
  private final java.util.concurrent.ScheduledExecutorService scheduler;
  private final SqsContext ctx;
  private final SendBatcher batcher;
  private final OpenReceivers<SqsReceiver> open =
      new OpenReceivers<>(() -> new IllegalStateException("the SQS transport is closed"));

  private SqsTransport(SqsSettings settings, SqsClient sqs, SnsClient sns) {
    this.settings = settings;
    this.sqs = sqs;
    this.sns = sns;
    Fifo fifo = new Fifo(settings.fifoTopics());
    this.naming = NamingRules.of(80 - settings.queuePrefix().length() - (fifo.any() ? Fifo.SUFFIX.length() : 0),
        Pattern.compile("[A-Za-z0-9_-]+"), "letters, digits, '_' and '-'", "-");
    this.capabilities = capabilities(settings);
    this.queues = sns == null
        ? new QueueDirectory(sqs, settings.queuePrefix(), naming, fifo, settings.visibilityTimeout())
        : new SnsDirectory(sns, sqs, settings.queuePrefix(), fifo, settings.visibilityTimeout());
    this.settler = new Settler(sqs, "courier-sqs-settle");
    this.io = Executors.newFixedThreadPool(8, Threads.factory("courier-sqs-io", true));
    this.batcher = new SendBatcher(queues, io, wireLimit(settings));
    this.scheduler = Executors.newSingleThreadScheduledExecutor(Threads.factory("courier-sqs-timer", true));
    this.ctx = new SqsContext(sqs, settler, io, scheduler, new Resender(sqs, settler, settings.nativeDelayLimit()),
        UncountedReceives.shared(), settings);
  }

  /** A transport for {@code settings}; connects lazily (no I/O until the first call). */
  public static SqsTransport create(SqsSettings settings) {
    Objects.requireNonNull(settings, "settings");
    AwsCredentialsProvider credentials = settings.accessKeyId().isPresent()
        ? StaticCredentialsProvider.create(AwsBasicCredentials.create(settings.accessKeyId().get(),
            settings.secretAccessKey()))
        : DefaultCredentialsProvider.builder().build();
    SqsClientBuilder b = SqsClient.builder()
        .httpClient(UrlConnectionHttpClient.builder().socketTimeout(settings.waitTime().plusSeconds(10))
            .connectionTimeout(Duration.ofSeconds(5)).build())
        .region(Region.of(settings.region())).credentialsProvider(credentials)
        .overrideConfiguration(o -> o.apiCallTimeout(settings.publishTimeout().plus(settings.waitTime())));
    settings.endpoint().ifPresent(b::endpointOverride);
    SnsClient sns = null;
    if (settings.topology() == SqsTopology.SNS) {
      SnsClientBuilder nb = SnsClient.builder()
          .httpClient(UrlConnectionHttpClient.builder().socketTimeout(Duration.ofSeconds(30))
              .connectionTimeout(Duration.ofSeconds(5)).build())
          .region(Region.of(settings.region())).credentialsProvider(credentials)
          .overrideConfiguration(o -> o.apiCallTimeout(settings.publishTimeout()));
      settings.endpoint().ifPresent(nb::endpointOverride);
      sns = nb.build();
    }
    return new SqsTransport(settings, b.build(), sns);
  }

  /** The size limit of one message: the queue's, and SNS's 256 KiB in the SNS topology. */
  static int wireLimit(SqsSettings s) {
    return s.topology() == SqsTopology.SNS ? Math.min(s.maxMessageBytes(), 256 * 1024) : s.maxMessageBytes();
  }

  static Capabilities capabilities(SqsSettings s) {
    int max = wireLimit(s);
    int headerBytes = Math.min(16 * 1024, max / 4);
    // Worst case on the wire: payload as Base64, packed headers as Base64 (4 bytes per 3), plus overhead.
    int message = (int) (3L * (max - OVERHEAD_BYTES) / 4);
    Duration v = s.visibilityTimeout();
    Capabilities.Builder b = Capabilities.builder()
        .with(Capability.PERSISTENT, Capability.DELAYED_REDELIVERY, Capability.DELAYED_PUBLISH);
    if (s.topology() == SqsTopology.SNS) {
      b.with(Capability.FAN_OUT);
    }
    boolean fifo = new Fifo(s.fifoTopics()).any();
    if (fifo) {
      b.with(Capability.ORDERED_BY_KEY);
    }
    return b
        .maxPayloadBytes(message)
        .maxHeaders(64)
        .maxHeaderBytes(headerBytes)
        .maxMessageBytes(message)
        .maxPublishDelay(Duration.ofDays(1))
        .maxRedeliveryDelay(fifo ? fifoMaxRedeliveryDelay(s) : Duration.ofDays(1))
        .leaseRenewalInterval(v.dividedBy(3))
        .build();
  }

  /**
   * With FIFO topics, redelivery delays (nack and defer) stay within what visibility can hold,
   * 11 of SQS's 12 hours from a receive, leaving an hour for the handler: a FIFO message never goes
   * back as a copy, which would go behind its key's later messages. For the whole transport, since
   * the core checks the limit per transport; a delay after a handler that ran longer is cut to what
   * the 12 hours leave.
   */
  static Duration fifoMaxRedeliveryDelay(SqsSettings s) {
    return s.maxVisibility().multipliedBy(11).dividedBy(12);
  }

  @Override
  public String name() {
    return settings.topology() == SqsTopology.SNS ? NAME + "-sns" : NAME;
  }

  @Override
  public Capabilities capabilities() {
    return capabilities;
  }

  @Override
  public NamingRules naming() {
    return naming;
  }

  public SqsSettings settings() {
    return settings;
  }

  @Override
  public CompletableFuture<Void> send(String topic, Message message) {
    return sendDelayed(topic, message, Duration.ZERO, false);
  }

  @Override
  public CompletableFuture<Void> sendDelayed(String topic, Message message, Duration delay) {
    return sendDelayed(topic, message, delay, true);
  }

  private CompletableFuture<Void> sendDelayed(String topic, Message message, Duration delay, boolean delayed) {
    WireFormat.Outgoing out;
    Fifo.Ids fifo;
    boolean nativeDelay;
    try {
      open.checkOpen();
      fifo = queues.isFifo(topic) ? Fifo.ofPublished(message) : null;
      // SNS has no publish delay, a FIFO queue no per-message one: the message carries its due time.
      nativeDelay = queues.nativePublishDelay() && fifo == null;
      boolean hops = nativeDelay ? delay.compareTo(settings.nativeDelayLimit()) > 0 : delay.toMillis() > 0;
      long due = hops ? System.currentTimeMillis() + delay.toMillis() : 0;
      out = encode(message, new WireFormat.Meta(0, due));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<Void> f = new CompletableFuture<>();
    batcher.submit(topic, new SendBatcher.Pending(message.id(), out,
        nativeDelay ? Resender.delaySeconds(delay, settings.nativeDelayLimit()) : 0, fifo, f));
    return f.orTimeout(settings.publishTimeout().toMillis(), TimeUnit.MILLISECONDS);
  }

  /** One {@link #send} each: the sends of all callers are batched by 10 anyway ({@link SendBatcher}). */
  @Override
  public List<CompletableFuture<Void>> sendAll(String topic, List<Message> messages) {
    return messages.stream().map(m -> send(topic, m)).toList();
  }

  private WireFormat.Outgoing encode(Message message, WireFormat.Meta meta) {
    WireFormat.Outgoing out = WireFormat.encode(message, meta);
    if (out.bytes() > wireLimit(settings)) {
      throw new PayloadTooLargeException("message " + message.id() + " is " + out.bytes() + " bytes on the wire "
          + "(body, attributes, id and key); the limit is " + wireLimit(settings));
    }
    return out;
  }

  @Override
  public Receiver receive(ReceiveSpec spec, DeliverySink sink) {
    open.checkOpen();
    requireOrderable(spec.topic(), spec.groupOptions());
    String url = queues.groupQueue(spec.topic(), spec.group());
    SqsReceiver r;
    try {
      r = new SqsReceiver(ctx, url, queues.queueName(spec.topic(), spec.group()), spec.maxInFlight(), sink);
    } catch (java.util.concurrent.RejectedExecutionException e) { // closed meanwhile: no poller started
      open.checkOpen();
      throw e;
    }
    open.removeIf(SqsReceiver::isFinished);
    return open.add(r); // closes it and throws if this transport closed meanwhile
  }

  @Override
  public void ensureTopic(String topic) {
    open.checkOpen();
    queues.ensureTopic(topic);
  }

  @Override
  public void ensureGroup(String topic, String group, GroupOptions options) {
    open.checkOpen();
    requireOrderable(topic, options);
    queues.groupQueue(topic, group);
  }

  /** An ordered group needs a FIFO topic ({@code courier.sqs.fifo-topics}). */
  private void requireOrderable(String topic, GroupOptions options) {
    if (!options.orderedByKey() || queues.isFifo(topic)) {
      return;
    }
    if (!capabilities.has(Capability.ORDERED_BY_KEY)) {
      throw new UnsupportedCapabilityException(name(), Capability.ORDERED_BY_KEY, "an ordered group");
    }
    throw new IncompatibleGroupException("an ordered group on topic '" + topic + "' needs a FIFO topic, and '" + topic
        + "' is not one: list it in courier.sqs.fifo-topics (its queues are then new ones ending in .fifo)");
  }

  /**
   * Visible, in-flight and delayed messages of the group's queue (SQS's approximate counts; delayed
   * ones include deferred copies and delayed publishes hidden until due); 0 for no queue.
   */
  @Override
  public OptionalLong backlog(String topic, String group) {
    open.checkOpen();
    return queues.existing(queues.queueName(topic, group)).map(url -> {
      var a = sqs.getQueueAttributes(r -> r.queueUrl(url).attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES,
          QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE,
          QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_DELAYED)).attributes();
      long n = 0;
      for (String v : a.values()) {
        n += Long.parseLong(v);
      }
      return OptionalLong.of(n);
    }).orElse(OptionalLong.of(0));
  }

  @Override
  public void close() {
    if (!open.close()) {
      return;
    }
    open.snapshot().forEach(r -> r.awaitPollers(settings.waitTime().plusSeconds(5)));
    // Sub-second nacks and releases are timers: they run (for at most a second) before the settler closes.
    scheduler.shutdown(); // drops the keep-alives, keeps the delayed tasks
    try {
      scheduler.awaitTermination(1, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    scheduler.shutdownNow();
    io.shutdown();
    try {
      io.awaitTermination(settings.publishTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    settler.close();
    sqs.close();
    if (sns != null) {
      sns.close();
    }
  }

  @Override
  public String toString() {
    return "SqsTransport{" + settings + '}';
  }
}
