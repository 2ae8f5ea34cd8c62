package dev.courier.testsupport;

/**
 * A server speaking the SQS API on loopback ({@link ElasticMqServer}, {@link FauxqsServer}), so
 * tests and TCK fixtures can run against either the same way.
 */
public interface SqsServer extends AutoCloseable {
  /** {@code http://127.0.0.1:<port>}. */
  String endpoint();

  /** Starts the server (again) on the same port; a persistent one finds its queues and messages. */
  void start();

  /** Stops the server; the port stays reserved for {@link #start()}. */
  void stop();

  /** Stops the server for good. */
  @Override
  void close();
}
