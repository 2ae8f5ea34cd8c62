package dev.courier;

import java.util.List;
import java.util.OptionalLong;

/**
 * The dead letters of one subscription (topic and group), from {@link Admin#deadLetters}. Dead
 * letters are kept in a durable group on the dead-letter topic, which Courier provisions before
 * the first dead letter is published (and again by every call here). Blocking; thread-safe, but
 * run one redrive of a dead-letter topic at a time.
 */
public interface DeadLetters {
  /** The dead-letter topic. */
  String topic();

  /** The topic the dead letters came from, where {@link #redrive} sends them by default. */
  String sourceTopic();

  /** The group whose handler gave up on them. */
  String group();

  /**
   * Dead letters waiting: approximate where the broker only estimates (SQS), and empty where it
   * cannot count them at all (Pub/Sub). Use {@link #peek} or {@link #redrive} rather than trusting
   * a count to be exact.
   */
  OptionalLong count();

  /**
   * Up to {@code max} dead letters, oldest first, without consuming them. Needs
   * {@link Capability#PEEK}; without it, throws {@link UnsupportedCapabilityException} before any
   * I/O.
   *
   * @throws IllegalArgumentException if {@code max} is less than 1
   */
  List<Message> peek(int max);

  /** Redrives dead letters until none arrives for a while; see {@link #redrive(int)}. */
  int redrive();

  /**
   * Moves up to {@code max} dead letters back to their source topic (the
   * {@link CourierHeaders#DLQ_SOURCE_TOPIC} header, else {@link #sourceTopic()}), one at a time:
   * each is republished with its id, key, payload, timestamp and application headers, without the
   * {@code courier-dlq-*} headers and with {@link CourierHeaders#REDRIVE_COUNT} incremented, and is
   * removed from the dead-letter topic only after the republish was confirmed. Every group on the
   * source topic receives it again; groups using {@link Idempotency} skip it if they had handled
   * it. It does not trust {@link #count()}: it consumes the dead-letter group until no new dead
   * letter arrives for the redrive idle timeout ({@link Courier.Builder#redriveIdleTimeout(java.time.Duration)}), so
   * dead letters arriving during the call are moved too. A message that fails again during the
   * redrive lands in the dead-letter topic again and is not redriven twice by the same call (by
   * id). Returns how many were moved.
   *
   * @throws IllegalArgumentException if {@code max} is negative
   * @throws PublishException if a republish failed; that dead letter stays in place
   */
  int redrive(int max);
}
