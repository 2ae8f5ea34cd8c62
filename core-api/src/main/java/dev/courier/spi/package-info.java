/**
 * What an adapter implements to bring a broker to Courier. Courier's core owns everything that
 * should behave the same on every broker (validation, retries, dead letters, idempotency, per-key
 * lanes, handler threads, lease renewal, in-flight counting); an adapter moves bytes and settles
 * deliveries. An adapter author:
 *
 * <ol>
 *   <li>implements {@link dev.courier.spi.TransportProvider} (a stable name such as {@code sqs},
 *       its configuration keys declared once, registered for {@link java.util.ServiceLoader});
 *   <li>implements {@link dev.courier.spi.Transport}: {@code send} completes only on the broker's
 *       confirmation and within the adapter's publish timeout; {@code receive} never has more than
 *       {@link dev.courier.spi.ReceiveSpec#maxInFlight()} deliveries handed over and unsettled;
 *       {@code ensureGroup} creates a durable group honouring {@link dev.courier.GroupOptions} or
 *       fails with {@link dev.courier.IncompatibleGroupException}; {@code backlog} says
 *       {@link java.util.OptionalLong#empty() unknown} rather than guess;
 *   <li>declares {@link dev.courier.Capabilities}: only features a TCK rule checks, the broker's own
 *       size limits (the core keeps room for its own headers), the longest publish and redelivery
 *       delays, and a lease renewal interval if the broker lends deliveries for a limited time;
 *   <li>implements {@link dev.courier.spi.TransportDelivery} for each raw delivery: settled once
 *       (later calls and calls after close do nothing), release and defer uncounted where the broker
 *       allows, {@code tryStart} atomic with any withdrawal, {@code extendLease} where leases exist,
 *       and an {@link dev.courier.spi.Undecodable} marker instead of dropping a broker entry it
 *       cannot map to a {@link dev.courier.Message};
 *   <li>derives every physical name through its {@link dev.courier.spi.NamingRules};
 *   <li>runs both kits in its tests: the API-level TCK ({@code dev.courier.tck.CourierTck}) and the
 *       SPI-level contract kit ({@code dev.courier.tck.spi.TransportContractKit}), against the real
 *       broker, never a mock.
 * </ol>
 *
 * <p>Reusable plumbing (settle-once deliveries, backoff, rate-limited logging, thread factories)
 * lives in {@code dev.courier.spi.support}; using it is optional.
 */
package dev.courier.spi;
