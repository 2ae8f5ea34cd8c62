package dev.courier.examples;

/** An order as the API-like producer places it; travels as JSON. */
public record Order(String orderId, String customer, long amountCents, String cardNumberLast4) {}
