package dev.courier.sqs;

/** How topics and groups map to AWS ({@code courier.sqs.topology}). */
public enum SqsTopology {
  /**
   * A topic is an SNS topic; each group is an SQS queue subscribed to it with raw message delivery,
   * so every group gets every message (fan-out).
   */
  SNS,
  /** A topic is one SQS queue; one group per topic, its consumers compete. */
  QUEUE
}
