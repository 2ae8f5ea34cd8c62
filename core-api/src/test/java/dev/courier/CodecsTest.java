package dev.courier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.jsontype.BasicPolymorphicTypeValidator;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayName("Codecs")
class CodecsTest {
  /** A payload type for the JSON tests. */
  public record Order(String id, int quantity, List<String> items) {}

  @Nested
  @DisplayName("bytes()")
  class Bytes {
    @Test
    @DisplayName("encodes a copy, so changing the caller's array later does not change the message")
    void encodesCopy() {
      byte[] value = {1, 2, 3};
      Message m = Message.builder().payload(value, Codecs.bytes()).build();
      value[0] = 9;
      assertArrayEquals(new byte[] {1, 2, 3}, m.payload(Codecs.bytes()));
      assertEquals(Optional.of("application/octet-stream"), m.headers().get(Codec.CONTENT_TYPE));
    }
  }

  @Nested
  @DisplayName("utf8()")
  class Utf8 {
    @Test
    @DisplayName("round-trips text outside ASCII")
    void roundTrip() {
      String text = "Grüße, 世界 🚚";
      assertEquals(text, Codecs.utf8().decode(Codecs.utf8().encode(text), Headers.empty()));
    }

    @Test
    @DisplayName("fails on malformed input instead of inserting replacement characters")
    void strictDecoding() {
      byte[] malformed = {'o', 'k', (byte) 0xC3, (byte) 0x28};
      assertThrows(IllegalArgumentException.class, () -> Codecs.utf8().decode(malformed, Headers.empty()));
    }

    @Test
    @DisplayName("fails on a truncated multi-byte sequence, through Message.payload as a PayloadDecodeException")
    void truncatedThroughMessage() {
      byte[] truncated = "é".getBytes(StandardCharsets.UTF_8);
      Message m = Message.of(new byte[] {truncated[0]});
      assertThrows(PayloadDecodeException.class, () -> m.payload(Codecs.utf8()));
    }
  }

  @Nested
  @DisplayName("json()")
  class Json {
    @Test
    @DisplayName("round-trips a record and sets content-type application/json")
    void roundTrip() {
      Order order = new Order("o-1", 3, List.of("apple", "pear"));
      Message m = Message.builder().payload(order, Codecs.json(Order.class)).build();
      assertEquals(order, m.payload(Codecs.json(Order.class)));
      assertEquals(Optional.of("application/json"), m.headers().get(Codec.CONTENT_TYPE));
    }

    @Test
    @DisplayName("ignores unknown properties so producers can add fields")
    void ignoresUnknown() {
      byte[] json = "{\"id\":\"o-2\",\"quantity\":1,\"items\":[],\"addedLater\":true}".getBytes(StandardCharsets.UTF_8);
      assertEquals(new Order("o-2", 1, List.of()), Codecs.json(Order.class).decode(json, Headers.empty()));
    }

    @Test
    @DisplayName("turns garbage into a PayloadDecodeException through Message.payload(codec)")
    void garbage() {
      Message m = Message.builder().id("bad-1").payload("not json at all".getBytes(StandardCharsets.UTF_8)).build();
      PayloadDecodeException e = assertThrows(PayloadDecodeException.class, () -> m.payload(Codecs.json(Order.class)));
      assertTrue(e.getMessage().contains("bad-1"), e.getMessage());
    }

    @Test
    @DisplayName("turns a JSON null into a PayloadDecodeException rather than returning null")
    void jsonNull() {
      Message m = Message.of("null".getBytes(StandardCharsets.UTF_8));
      assertThrows(PayloadDecodeException.class, () -> m.payload(Codecs.json(Order.class)));
    }

    @Test
    @DisplayName("refuses a mapper with default typing enabled, whatever the typing mode")
    void refusesDefaultTyping() {
      BasicPolymorphicTypeValidator anything = BasicPolymorphicTypeValidator.builder().allowIfBaseType(Object.class).build();
      for (ObjectMapper.DefaultTyping typing : ObjectMapper.DefaultTyping.values()) {
        ObjectMapper unsafe = JsonMapper.builder().activateDefaultTyping(anything, typing).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> Codecs.json(Order.class, unsafe), typing.name());
        assertTrue(e.getMessage().contains("default typing"), e.getMessage());
      }
    }

    @Test
    @DisplayName("accepts a caller's plain mapper")
    void acceptsPlainMapper() {
      Codec<Map> codec = Codecs.json(Map.class, new ObjectMapper());
      assertEquals(Map.of("a", 1), codec.decode("{\"a\":1}".getBytes(StandardCharsets.UTF_8), Headers.empty()));
    }

    @Test
    @DisplayName("rejects null type and mapper, naming them")
    void nulls() {
      assertEquals("type", assertThrows(NullPointerException.class, () -> Codecs.json(null)).getMessage());
      assertEquals("mapper", assertThrows(NullPointerException.class, () -> Codecs.json(Order.class, null)).getMessage());
    }

    @Test
    @DisplayName("names the type, not the payload, in its toString")
    void toStringNamesType() {
      String s = Codecs.json(Order.class).toString();
      assertTrue(s.contains("Order"), s);
      assertFalse(s.contains("{"), s);
    }
  }
}
