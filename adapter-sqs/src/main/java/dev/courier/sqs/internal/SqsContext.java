package dev.courier.sqs.internal;

import dev.courier.sqs.SqsSettings;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * What the receivers of one transport share: the client, the batching settler, the thread pool for
 * sends that must not run on the caller's thread, a timer, the copier, the FIFO receives not to
 * count, and the settings.
 */
public record SqsContext(SqsClient sqs, Settler settler, Executor io, ScheduledExecutorService scheduler,
    Resender resender, UncountedReceives uncounted, SqsSettings settings) {}
