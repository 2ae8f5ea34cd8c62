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
   * settling, locking or counting a delivery of any of them: a second call returns the same
   * messages, the group's backlog is unchanged, and a receiver of the group gets each of them at
   * once, as a first delivery. Returns an empty list when there are none. {@code max} is at least
   * 1; arguments are validated by the core. Checked by TCK rule 5.5.
   */
  List<Message> peek(String topic, String group, int max);
}
