package dev.courier.sqs.tck;

import dev.courier.Capability;
import dev.courier.sqs.SqsTopology;
import dev.courier.testsupport.ElasticMqServer;
import org.junit.jupiter.api.DisplayName;

/** The SQS adapter (topology {@code queue}) against the whole TCK on ElasticMQ; the report is {@code sqs.json}. */
@DisplayName("SQS adapter (queue topology) passes the Courier TCK")
class SqsTckTest extends SqsTckBase {
  SqsTckTest() {
    super(ElasticMqServer::shared, ElasticMqServer::persistent, SqsTopology.QUEUE,
        Capability.PERSISTENT, Capability.DELAYED_REDELIVERY, Capability.DELAYED_PUBLISH);
  }
}
