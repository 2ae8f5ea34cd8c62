package dev.courier.sqs.tck;

import dev.courier.Capability;
import dev.courier.Courier;
import dev.courier.spi.Transport;
import dev.courier.spi.support.ForwardingTransport;
import dev.courier.sqs.SqsTestSupport;
import dev.courier.sqs.SqsTopology;
import dev.courier.sqs.SqsTransport;
import dev.courier.testsupport.FauxqsServer;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The SQS adapter with every topic FIFO ({@code courier.sqs.fifo-topics=*}; SNS topology on fauxqs:
 * FIFO SNS topics and FIFO group queues) against the TCK rules that FIFO changes: declarations,
 * ordering, redelivery (attempt counts, and per-key order under load with failures and
 * redeliveries, 3 consumers of concurrency 4), delayed publish, redrive (a redriven dead letter's
 * own deduplication id), maxInFlight (permits of early returns and key-mates' hand-backs) and
 * closing mid-stream (hand-backs by uncounted visibility changes). The others (publish
 * deduplication, 6.1, and the lease, 12.1, about 26 s together on SNS) are skipped here to keep the
 * build short. The queue
 * topology's FIFO queues are tested in {@code SqsFifoTest} on ElasticMQ: there, TCK-4.4's 2,000
 * publishes were not all confirmed within 20 s while its 6 pollers received (2,000 publishes alone
 * take about 2 s; ElasticMQ's FIFO queues seem to slow down under concurrent receives). The report is {@code sqs-sns-fifo.json} (the adapter's name with {@code -fifo}).
 */
@DisplayName("SQS adapter with FIFO topics passes the TCK's ordering, redelivery and delay rules")
@ExtendWith(SqsFifoTckTest.FifoRulesOnly.class)
class SqsFifoTckTest extends SqsTckBase {
  SqsFifoTckTest() {
    super(FauxqsServer::shared, FauxqsServer::persistent, SqsTopology.SNS, Capability.FAN_OUT, Capability.PERSISTENT,
        Capability.DELAYED_REDELIVERY, Capability.DELAYED_PUBLISH, Capability.ORDERED_BY_KEY);
  }

  @Override
  Courier newCourier(Map<String, String> config) {
    SqsTransport sqs = SqsTransport.create(SqsTestSupport.settings(FauxqsServer.shared())
        .endpoint(config.get("courier.sqs.endpoint")).visibilityTimeout(LEASE).fifoTopics("*")
        .publishTimeout(Duration.ofSeconds(30)).build());
    return Courier.builder().transport(new Renamed(sqs, sqs.name() + "-fifo")).publishTimeout(Duration.ofSeconds(30))
        .build();
  }

  /** Runs the rules FIFO changes (and every group's container), disables the rest with the reason. */
  static final class FifoRulesOnly implements ExecutionCondition {
    private static final Pattern RULES = Pattern.compile(
        "TCK-(0\\.\\d+|4\\.1|4\\.4|5\\.3|7\\.\\d+|8\\.2|9\\.1|9\\.5|10\\.1|10\\.3) .*",
        Pattern.DOTALL);

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
      if (context.getTestMethod().isEmpty() || RULES.matcher(context.getDisplayName()).matches()) {
        return ConditionEvaluationResult.enabled("a rule FIFO changes");
      }
      return ConditionEvaluationResult.disabled("not run with FIFO topics: the same code path as in sqs-sns.json");
    }
  }

  /** The SQS transport under another name, so this run's report does not replace {@code sqs.json}. */
  private static final class Renamed extends ForwardingTransport {
    private final String name;

    Renamed(Transport t, String name) {
      super(t);
      this.name = name;
    }

    @Override
    public String name() {
      return name;
    }
  }
}
