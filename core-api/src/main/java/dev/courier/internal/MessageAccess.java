package dev.courier.internal;

import dev.courier.Message;

/**
 * Reaches a {@link Message}'s payload array without the copy its public API makes, for
 * {@link dev.courier.spi.support.Payloads} only. {@link Message} installs the one instance when
 * its class is initialized; nothing else can.
 */
public abstract class MessageAccess {
  private static volatile MessageAccess instance;

  protected MessageAccess() {}

  /** Called once, by {@link Message}'s static initializer; refused to any other caller. */
  public static void install(MessageAccess access) {
    if (StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE).getCallerClass() != Message.class) {
      throw new IllegalStateException("MessageAccess is installed by Message only");
    }
    synchronized (MessageAccess.class) {
      if (instance != null) {
        throw new IllegalStateException("MessageAccess is installed by Message only");
      }
      instance = access;
    }
  }

  public static MessageAccess get() {
    MessageAccess a = instance;
    if (a == null) {
      Message.builder(); // initializes Message, which installs it
      a = instance;
    }
    return a;
  }

  public abstract byte[] payload(Message message);

  public abstract Message.Builder adoptPayload(Message.Builder builder, byte[] payload);
}
