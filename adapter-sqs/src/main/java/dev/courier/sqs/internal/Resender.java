package dev.courier.sqs.internal;

import dev.courier.Message;
import dev.courier.spi.support.RateLimitedLog;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * Returns a received message as a copy, then deletes the original: SQS counts every receive
 * ({@code ApproximateReceiveCount}) and cannot uncount one, so a hand-back that must not count
 * (release, defer) or a receive that came too early (a delayed publish not yet due) sends a copy
 * that carries the deliveries counted so far. The copy is confirmed before the original is deleted:
 * a failure in between can duplicate, never lose.
 */
public final class Resender {
  private static final Logger log = LoggerFactory.getLogger(Resender.class);

  private final SqsClient sqs;
  private final Settler settler;
  private final Duration nativeDelayLimit;
  private final RateLimitedLog limiter = new RateLimitedLog(Duration.ofSeconds(30));

  public Resender(SqsClient sqs, Settler settler, Duration nativeDelayLimit) {
    this.sqs = sqs;
    this.settler = settler;
    this.nativeDelayLimit = nativeDelayLimit;
  }

  /**
   * Sends a copy of the received SQS message {@code sqsMessageId} ({@code message} with {@code meta}),
   * visible after {@code delay}, and deletes the original. Standard queues only: on a FIFO queue a
   * copy would go behind its key's later messages, so the receiver changes visibility instead.
   */
  public void resend(String queueUrl, String sqsMessageId, Message message, WireFormat.Meta meta, Duration delay,
      String receipt) {
    long due = 0;
    if (delay.compareTo(nativeDelayLimit) > 0) {
      due = System.currentTimeMillis() + delay.toMillis();
    }
    copy(queueUrl, sqsMessageId, message, new WireFormat.Meta(meta.prior(), due), delay, receipt);
  }

  /** A delayed publish received before it is due: a copy delayed for what remains (at most SQS's limit). */
  public void hop(String queueUrl, String sqsMessageId, Message message, WireFormat.Meta meta, String receipt) {
    Duration remaining = Duration.ofMillis(Math.max(0, meta.dueMillis() - System.currentTimeMillis()));
    copy(queueUrl, sqsMessageId, message, meta, remaining, receipt);
  }

  private void copy(String queueUrl, String sqsMessageId, Message message, WireFormat.Meta meta, Duration delay,
      String receipt) {
    WireFormat.Outgoing out = WireFormat.encode(message, meta);
    int seconds = delaySeconds(delay, nativeDelayLimit);
    try {
      sqs.sendMessage(r -> r.queueUrl(queueUrl).messageBody(out.body()).messageAttributes(out.attributes())
          .delaySeconds(seconds));
    } catch (RuntimeException e) {
      long suppressed = limiter.admit();
      if (suppressed != RateLimitedLog.SUPPRESSED) {
        log.warn("could not return message {} as a copy ({}); it comes back after its visibility timeout{}",
            message.id(), e.toString(), RateLimitedLog.more(suppressed, "failures"));
      }
      return;
    }
    settler.delete(queueUrl, receipt);
  }

  /** Whole seconds, rounded up, capped at the native limit. */
  public static int delaySeconds(Duration delay, Duration nativeLimit) {
    long ms = Math.min(delay.toMillis(), nativeLimit.toMillis());
    return (int) Math.max(0, (ms + 999) / 1000);
  }
}
