package dev.courier.opentelemetry;

import dev.courier.Headers;
import dev.courier.Message;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapSetter;

/** Reads a propagated context from a message's headers; writes one into a message's headers. */
final class HeadersCarrier {
  static final TextMapGetter<Headers> GETTER = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(Headers carrier) {
      return carrier.names();
    }

    @Override
    public String get(Headers carrier, String key) {
      return carrier == null ? null : carrier.asMap().get(key); // no Optional per lookup
    }
  };

  /** The message being published, with each header the propagator sets. */
  static final class Injected {
    private Message message;

    Injected(Message message) {
      this.message = message;
    }

    Message message() {
      return message;
    }
  }

  static final TextMapSetter<Injected> SETTER = (carrier, key, value) -> {
    if (carrier != null) {
      carrier.message = carrier.message.withHeader(key, value);
    }
  };

  private HeadersCarrier() {}
}
