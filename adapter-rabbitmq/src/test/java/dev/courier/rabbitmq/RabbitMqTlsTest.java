package dev.courier.rabbitmq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.courier.CourierException;
import dev.courier.Message;
import dev.courier.spi.ReceiveSpec;
import dev.courier.spi.Receiver;
import dev.courier.testsupport.RabbitMqNode;
import dev.courier.testsupport.TestCertificates;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS against a real listener: a private node (started once for the class) serves a certificate
 * from a throwaway CA made at test time. The certificate names only {@code DNS:localhost}, so
 * connecting to {@code 127.0.0.1} is a reliable "host the certificate does not name".
 */
@DisplayName("RabbitMQ over TLS (private node with a throwaway CA)")
class RabbitMqTlsTest {
  private static final String USER = "courier-tls";
  private static final String PASSWORD = "tls-Us3r-s3cret";
  private static final String TRUST_STORE_PASSWORD = "tr-St0re-s3cret";
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

  @TempDir
  static Path certDir;
  private static TestCertificates certs;
  private static RabbitMqNode node;

  @BeforeAll
  static void startNode() {
    certs = TestCertificates.generate(certDir, "localhost", List.of("DNS:localhost"), TRUST_STORE_PASSWORD);
    node = RabbitMqNode.startWithTls(certs.caCertificate(), certs.serverCertificate(), certs.serverKey());
    node.rabbitmqctl("add_user", USER, PASSWORD);
    node.rabbitmqctl("set_permissions", "-p", "/", USER, ".*", ".*", ".*");
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  /** TLS to the node's TLS port as {@link #USER}, trusting the throwaway CA, verifying the host name. */
  private static RabbitMqSettings.Builder tls(String host) {
    return RabbitMqSettings.builder().host(host).port(node.tlsPort()).username(USER).password(PASSWORD)
        .tls(true).trustStore(certs.trustStore(), TRUST_STORE_PASSWORD).verifyHostname(true)
        .connectionName("courier-tls-test").connectionTimeout(CONNECT_TIMEOUT)
        .publishTimeout(Duration.ofSeconds(5));
  }

  @Test
  @DisplayName("with the CA trusted and the host name verified, a publish is confirmed and consumed over TLS")
  void roundTripOverTls() throws Exception {
    try (RabbitMqTransport transport = RabbitMqTransport.connect(tls("localhost").build())) {
      String topic = "tls-" + UUID.randomUUID();
      transport.ensureGroup(topic, "g");
      CompletableFuture<Message> got = new CompletableFuture<>();
      Receiver receiver = transport.receive(new ReceiveSpec(topic, "g", 10, false), d -> {
        got.complete(d.message());
        d.ack();
      });
      try {
        Message sent = Message.of("over TLS".getBytes(StandardCharsets.UTF_8));
        transport.send(topic, sent).get(10, TimeUnit.SECONDS);
        Message received = got.get(10, TimeUnit.SECONDS);
        assertEquals(sent.id(), received.id());
        assertArrayEquals("over TLS".getBytes(StandardCharsets.UTF_8), received.payload());
        assertEquals(0, transport.backlog(topic, "g").getAsLong(), "the consumed message is still in the queue");
      } finally {
        receiver.close();
      }
    }
  }

  @Test
  @DisplayName("with host name verification on, a host the certificate does not name is refused; off, it connects")
  void hostNameVerified() {
    CourierException e = assertThrows(CourierException.class,
        () -> RabbitMqTransport.connect(tls("127.0.0.1").build()).close(),
        "connected to 127.0.0.1 though the certificate names only localhost");
    assertNamesBroker(e, "127.0.0.1");
    assertTellsWhy(e, assertCausedBy(e, SSLHandshakeException.class));
    CertificateException why = assertCausedBy(e, CertificateException.class);
    assertTrue(why.getMessage().contains("127.0.0.1"), "the cause should name the unmatched host: " + why);
    assertNoSecrets(e);
    // The same connection without verification works: the refusal above was the host name check.
    RabbitMqTransport.connect(tls("127.0.0.1").verifyHostname(false).build()).close();
  }

  @Test
  @DisplayName("without a trust store (JVM default trust) the handshake fails on the unknown CA, quoting no password")
  void unknownCaRefused() {
    RabbitMqSettings settings = RabbitMqSettings.builder().host("localhost").port(node.tlsPort()).username(USER)
        .password(PASSWORD).tls(true).verifyHostname(true).connectionTimeout(CONNECT_TIMEOUT).build();
    assertTrue(settings.trustStore().isEmpty());
    CourierException e = assertThrows(CourierException.class, () -> RabbitMqTransport.connect(settings).close(),
        "connected though the JVM's default trust store lacks the throwaway CA");
    assertNamesBroker(e, "localhost");
    assertTellsWhy(e, assertCausedBy(e, SSLHandshakeException.class));
    assertCausedBy(e, CertificateException.class);
    assertNoSecrets(e);
  }

  @Test
  @DisplayName("a plain-text AMQP client on the TLS port fails within its connection timeout instead of hanging")
  void plainClientOnTlsPortFails() {
    RabbitMqSettings plain = RabbitMqSettings.builder().host("127.0.0.1").port(node.tlsPort()).username(USER)
        .password(PASSWORD).connectionTimeout(Duration.ofSeconds(3)).build();
    long t0 = System.nanoTime();
    CourierException e = assertTimeoutPreemptively(Duration.ofSeconds(15), () -> assertThrows(
        CourierException.class, () -> RabbitMqTransport.connect(plain).close(),
        "a plain-text client connected to the TLS listener"));
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertTrue(millis < 10_000, "failing took " + millis + " ms, more than the 3 s timeout allows");
    assertNamesBroker(e, "127.0.0.1");
    assertFalse(e.getMessage().contains("): IOException;"),
        "the message gives the client's underlying reason, not a bare IOException: " + e.getMessage());
    assertNoSecrets(e);
  }

  private static void assertNamesBroker(CourierException e, String host) {
    assertTrue(e.getMessage().contains(host + ":" + node.tlsPort()) && e.getMessage().contains("'" + USER + "'"),
        "the error should name the broker and the user: " + e.getMessage());
  }

  /** The error's own message carries the handshake's reason, not just "cannot connect". */
  private static void assertTellsWhy(CourierException e, SSLHandshakeException handshake) {
    assertTrue(handshake.getMessage() != null && e.getMessage().contains(handshake.getMessage()),
        "the error should say why the handshake failed (" + handshake.getMessage() + "): " + e.getMessage());
  }

  /** The first exception of {@code type} in {@code e}'s cause chain; fails, showing the chain, if none. */
  private static <T extends Throwable> T assertCausedBy(Throwable e, Class<T> type) {
    for (Throwable t : chain(e)) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    return fail("no " + type.getSimpleName() + " among the causes: " + chain(e));
  }

  /** Neither password appears in any message of the chain (causes and suppressed included). */
  private static void assertNoSecrets(Throwable e) {
    for (Throwable t : chain(e)) {
      String text = t.toString();
      assertFalse(text.contains(PASSWORD), "the user's password leaks in " + text);
      assertFalse(text.contains(TRUST_STORE_PASSWORD), "the trust store's password leaks in " + text);
    }
  }

  private static List<Throwable> chain(Throwable e) {
    List<Throwable> out = new ArrayList<>();
    Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    collect(e, out, seen);
    return out;
  }

  private static void collect(Throwable t, List<Throwable> out, Set<Throwable> seen) {
    if (t == null || !seen.add(t)) {
      return;
    }
    out.add(t);
    for (Throwable s : t.getSuppressed()) {
      collect(s, out, seen);
    }
    collect(t.getCause(), out, seen);
  }
}
