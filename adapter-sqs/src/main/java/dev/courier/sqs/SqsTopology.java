package dev.courier.sqs;

/** How topics and groups map to SQS ({@code courier.sqs.topology}). */
public enum SqsTopology {
  /** A topic is one SQS queue; one group per topic, its consumers compete. */
  QUEUE
}
