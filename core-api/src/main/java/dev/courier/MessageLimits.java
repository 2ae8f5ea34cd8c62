package dev.courier;

/**
 * How large one message may be: payload bytes, header count, bytes of all header names and values,
 * bytes of one header value, and bytes of the whole message (payload plus header names and values),
 * all in UTF-8. {@link Capabilities#limits()} gives what applications may publish;
 * {@link Capabilities#brokerLimits()} what the broker carries, Courier's own headers included.
 */
public record MessageLimits(int maxPayloadBytes, int maxHeaders, int maxHeaderBytes, int maxHeaderValueBytes,
    int maxMessageBytes) {}
