package dev.courier.opentelemetry;

import dev.courier.Headers;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.Map;

/** Reads a propagated context from a message's headers; writes one into a map of new headers. */
final class HeadersCarrier {
  static final TextMapGetter<Headers> GETTER = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(Headers carrier) {
      return carrier.names();
    }

    @Override
    public String get(Headers carrier, String key) {
      return carrier == null ? null : carrier.get(key).orElse(null);
    }
  };

  static void set(Map<String, String> carrier, String key, String value) {
    if (carrier != null) {
      carrier.put(key, value);
    }
  }

  private HeadersCarrier() {}
}
