package dev.courier.spi.support;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.courier.Message;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Payloads (adapters' copy-free payload access)")
class PayloadsTest {
  @Test
  @DisplayName("an adopted array becomes the message's payload uncopied; applications still get copies")
  void adoptAndShare() {
    byte[] bytes = {1, 2, 3};
    Message m = Payloads.adopt(Message.builder(), bytes).build();
    assertSame(bytes, Payloads.shared(m));
    assertNotSame(bytes, m.payload());
    assertArrayEquals(bytes, m.payload());
    assertNotSame(Payloads.shared(m), Payloads.shared(m.toBuilder().payload(bytes).build()));
  }
}
