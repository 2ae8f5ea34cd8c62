package dev.courier.sqs.tck;

import dev.courier.Capability;
import dev.courier.sqs.SqsTopology;
import dev.courier.testsupport.FauxqsServer;
import org.junit.jupiter.api.DisplayName;

/**
 * The SQS adapter in the SNS topology (its default) against the whole TCK on fauxqs, an SNS + SQS
 * server; the report is {@code sqs-sns.json}.
 */
@DisplayName("SQS adapter (SNS topology) passes the Courier TCK")
class SqsSnsTckTest extends SqsTckBase {
  SqsSnsTckTest() {
    super(FauxqsServer::shared, FauxqsServer::persistent, SqsTopology.SNS,
        Capability.FAN_OUT, Capability.PERSISTENT, Capability.DELAYED_REDELIVERY, Capability.DELAYED_PUBLISH);
  }
}
