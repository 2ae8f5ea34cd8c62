package dev.courier.spi;

import dev.courier.Message;
import java.util.List;

/**
 * Optional: a {@link Transport} that declares {@link dev.courier.Capability#PEEK} implements this
 * too, so the dead-letter admin can show messages without consuming them.
 */
public interface TopicBrowser {
  /**
   * Up to {@code max} messages waiting in {@code group} on {@code topic}, oldest first, without
   * settling, locking or counting a delivery of any of them. Returns an empty list when there are
   * none. {@code max} is at least 1; arguments are validated by the core.
   */
  List<Message> peek(String topic, String group, int max);
}
