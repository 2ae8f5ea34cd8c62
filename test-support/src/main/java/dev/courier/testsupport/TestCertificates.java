package dev.courier.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Throwaway TLS material for tests, made with {@code openssl} in a directory of the caller's: a CA,
 * a server certificate and key it signed (PEM, as brokers read them), and a PKCS12 trust store
 * holding only the CA (as Java clients read it). Valid for two days; never use it outside tests.
 * Fails loudly with openssl's output when openssl is missing or fails.
 */
public final class TestCertificates {
  private static final Path OPENSSL = Path.of("/usr/bin/openssl");
  private static final long OPENSSL_TIMEOUT_SECONDS = 60;

  private final Path caCertificate;
  private final Path serverCertificate;
  private final Path serverKey;
  private final Path trustStore;
  private final String trustStorePassword;

  private TestCertificates(Path caCertificate, Path serverCertificate, Path serverKey, Path trustStore,
      String trustStorePassword) {
    this.caCertificate = caCertificate;
    this.serverCertificate = serverCertificate;
    this.serverKey = serverKey;
    this.trustStore = trustStore;
    this.trustStorePassword = trustStorePassword;
  }

  /**
   * Generates, in {@code dir}, a CA and a server certificate with common name {@code commonName}
   * and the subject alternative names {@code subjectAltNames} (openssl syntax, e.g.
   * {@code "DNS:localhost"} or {@code "IP:127.0.0.1"}; at least one), plus a PKCS12 trust store
   * with the CA protected by {@code trustStorePassword}.
   */
  public static TestCertificates generate(Path dir, String commonName, List<String> subjectAltNames,
      String trustStorePassword) {
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(commonName, "commonName");
    Objects.requireNonNull(trustStorePassword, "trustStorePassword");
    if (subjectAltNames == null || subjectAltNames.isEmpty()) {
      throw new IllegalArgumentException("subjectAltNames must name at least one DNS: or IP: entry");
    }
    if (!Files.isExecutable(OPENSSL)) {
      throw new IllegalStateException(OPENSSL + " is missing: install it with 'apt-get install -y openssl'");
    }
    try {
      Files.createDirectories(dir);
      Path caKey = dir.resolve("ca.key");
      Path caCert = dir.resolve("ca.pem");
      Path caConfig = dir.resolve("ca.cnf");
      Files.writeString(caConfig, "[req]\ndistinguished_name = dn\nx509_extensions = ca\nprompt = no\n"
          + "[dn]\nCN = Courier test CA\n"
          + "[ca]\nbasicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign\n"
          + "subjectKeyIdentifier = hash\n", StandardCharsets.US_ASCII);
      openssl(dir, "req", "-config", caConfig.toString(), "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256",
          "-days", "2", "-keyout", caKey.toString(), "-out", caCert.toString());

      Path key = dir.resolve("server.key");
      Path csr = dir.resolve("server.csr");
      Path cert = dir.resolve("server.pem");
      Path ext = dir.resolve("server.ext");
      openssl(dir, "req", "-config", caConfig.toString(), "-newkey", "rsa:2048", "-nodes", "-sha256",
          "-subj", "/CN=" + commonName,
          "-keyout", key.toString(), "-out", csr.toString());
      Files.writeString(ext, "basicConstraints = CA:FALSE\n"
          + "keyUsage = critical, digitalSignature, keyEncipherment\n"
          + "extendedKeyUsage = serverAuth\n"
          + "subjectAltName = " + String.join(", ", subjectAltNames) + "\n", StandardCharsets.US_ASCII);
      openssl(dir, "x509", "-req", "-in", csr.toString(), "-CA", caCert.toString(), "-CAkey", caKey.toString(),
          "-CAcreateserial", "-sha256", "-days", "2", "-extfile", ext.toString(), "-out", cert.toString());

      Path store = dir.resolve("trust.p12");
      writeTrustStore(caCert, store, trustStorePassword);
      return new TestCertificates(caCert, cert, key, store, trustStorePassword);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write test certificates in " + dir, e);
    }
  }

  private static void writeTrustStore(Path caCert, Path store, String password) throws IOException {
    try (InputStream in = Files.newInputStream(caCert); OutputStream out = Files.newOutputStream(store)) {
      Certificate ca = CertificateFactory.getInstance("X.509").generateCertificate(in);
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setCertificateEntry("courier-test-ca", ca);
      ks.store(out, password.toCharArray());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot build the PKCS12 trust store " + store + " from " + caCert, e);
    }
  }

  /** Runs openssl in {@code dir}; fails with its output unless it exits with 0 in time. */
  private static void openssl(Path dir, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(OPENSSL.toString());
    command.addAll(List.of(args));
    Path output = dir.resolve("openssl.out");
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(output.toFile()).start();
    try {
      if (!p.waitFor(OPENSSL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("openssl " + args[0] + " did not finish within "
            + OPENSSL_TIMEOUT_SECONDS + " s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running openssl " + args[0], e);
    }
    if (p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " exited with " + p.exitValue()
          + "; output:\n" + Files.readString(output, StandardCharsets.UTF_8));
    }
  }

  /** The CA's certificate (PEM), e.g. for a broker's {@code cacertfile}. */
  public Path caCertificate() {
    return caCertificate;
  }

  /** The server's certificate (PEM), signed by the CA. */
  public Path serverCertificate() {
    return serverCertificate;
  }

  /** The server's private key (PEM, unencrypted). */
  public Path serverKey() {
    return serverKey;
  }

  /** A PKCS12 trust store holding only the CA. */
  public Path trustStore() {
    return trustStore;
  }

  /** The trust store's password. */
  public String trustStorePassword() {
    return trustStorePassword;
  }

  @Override
  public String toString() {
    return "TestCertificates{" + serverCertificate + ", trustStore=" + trustStore + '}';
  }
}
