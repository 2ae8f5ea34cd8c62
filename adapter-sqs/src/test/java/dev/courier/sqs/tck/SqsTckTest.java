package dev.courier.sqs.tck;

import dev.courier.Capability;
import dev.courier.sqs.SqsTopology;
import dev.courier.testsupport.ElasticMqServer;
import dev.courier.testsupport.SqsServer;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;

/** The SQS adapter (topology {@code queue}) against the whole TCK on ElasticMQ; the report is {@code sqs.json}. */
@DisplayName("SQS adapter (queue topology) passes the Courier TCK")
class SqsTckTest extends SqsTckBase {
  @Override
  SqsServer sharedServer() {
    return ElasticMqServer.shared();
  }

  @Override
  SqsServer newPersistentServer() {
    return ElasticMqServer.persistent();
  }

  @Override
  SqsTopology topology() {
    return SqsTopology.QUEUE;
  }

  @Override
  Set<Capability> features() {
    return Set.of(Capability.PERSISTENT, Capability.DELAYED_REDELIVERY, Capability.DELAYED_PUBLISH);
  }
}
