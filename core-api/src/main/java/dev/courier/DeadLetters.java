package dev.courier;

import java.util.List;

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

  /** Dead letters waiting (approximate where the broker only estimates). */
  long count();

  /**
   * Up to {@code max} dead letters, oldest first, without consuming them. Needs
   * {@link Capability#PEEK}; without it, throws {@link UnsupportedCapabilityException} before any
   * I/O.
   *
   * @throws IllegalArgumentException if {@code max} is less than 1
   */
  List<Message> peek(int max);

  /** Redrives every dead letter waiting when the call starts; see {@link #redrive(int)}. */
  int redrive();

  /**
   * Moves up to {@code max} dead letters back to their source topic (the
   * {@link CourierHeaders#DLQ_SOURCE_TOPIC} header, else {@link #sourceTopic()}), one at a time:
   * each is republished with its id, key, payload, timestamp and application headers, without the
   * {@code courier-dlq-*} headers and with {@link CourierHeaders#REDRIVE_COUNT} incremented, and is
   * removed from the dead-letter topic only after the republish was confirmed. Every group on the
   * source topic receives it again; groups using {@link Idempotency} skip it if they had handled
   * it. Messages that fail again during the redrive land in the dead-letter topic again and are
   * not redriven twice by the same call. Returns how many were moved; stops early, returning the
   * count so far, when no dead letter arrives for a while.
   *
   * @throws IllegalArgumentException if {@code max} is negative
   * @throws PublishException if a republish failed; that dead letter stays in place
   */
  int redrive(int max);
}
