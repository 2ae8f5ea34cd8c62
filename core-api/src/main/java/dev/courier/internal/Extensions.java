package dev.courier.internal;

import dev.courier.CourierListener;
import dev.courier.DeliveryInterceptor;
import dev.courier.MessageHandler;
import dev.courier.PublishInterceptor;
import dev.courier.Subscription;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The listeners and interceptors of one Courier. Registration may happen after subscriptions
 * started (a metrics binder, say); readers take a volatile snapshot per event or call, so with
 * nothing registered the hot path reads a field and allocates nothing.
 */
public final class Extensions {
  private static final CourierListener[] NO_LISTENERS = {};
  private static final DeliveryInterceptor[] NO_DELIVERY = {};
  private static final PublishInterceptor[] NO_PUBLISH = {};

  private CourierListener[] listenerList = NO_LISTENERS; // guarded by this
  private volatile CourierListener listener = CourierListener.NONE;
  private volatile DeliveryInterceptor[] delivery = NO_DELIVERY;
  private volatile PublishInterceptor[] publish = NO_PUBLISH;
  private final boolean handlerMdc;
  /** Listeners being told of the subscriptions open when they were added; guarded by this. */
  private final List<Replay> replays = new ArrayList<>();

  /** A listener being added and the open subscriptions it was not yet told of. */
  private record Replay(CourierListener listener, Set<Subscription> owed) {}

  public Extensions(boolean handlerMdc) {
    this.handlerMdc = handlerMdc;
  }

  public synchronized void addListener(CourierListener l) {
    addListener(l, List.of());
  }

  /**
   * Adds {@code l}, then tells it (guarded, like any event) of the subscriptions already {@code open},
   * each once: it walks a copy, so one that {@code l}'s callback opens meanwhile is heard only as
   * new; one its callback closes before its turn is told by {@link #unsubscribed} just before its
   * end. The caller holds the lock that orders subscribed and unsubscribed events.
   */
  public synchronized void addListener(CourierListener l, Iterable<? extends Subscription> open) {
    Objects.requireNonNull(l, "listener");
    if (l == CourierListener.NONE) {
      return;
    }
    listenerList = append(listenerList, l);
    listener = CompositeListener.of(listenerList);
    Set<Subscription> owed = new LinkedHashSet<>();
    open.forEach(owed::add);
    Replay replay = new Replay(CompositeListener.of(new CourierListener[] {l}), owed);
    replays.add(replay);
    try {
      for (Iterator<Subscription> it = owed.iterator(); it.hasNext(); it = owed.iterator()) {
        Subscription s = it.next();
        it.remove();
        replay.listener().subscribed(s);
      }
    } finally {
      replays.remove(replay);
    }
  }

  /**
   * Tells every listener that {@code s} closed; a listener being added that was still owed its
   * {@code subscribed} hears that first. Called under the same lock as {@link #addListener}'s caller.
   */
  public synchronized void unsubscribed(Subscription s) {
    for (Replay r : replays) {
      if (r.owed().remove(s)) {
        r.listener().subscribed(s);
      }
    }
    listener.unsubscribed(s);
  }

  public synchronized void addDeliveryInterceptor(DeliveryInterceptor i) {
    delivery = append(delivery, Objects.requireNonNull(i, "interceptor"));
  }

  public synchronized void addPublishInterceptor(PublishInterceptor i) {
    publish = append(publish, Objects.requireNonNull(i, "interceptor"));
  }

  /** All listeners as one, each call guarded; {@link CourierListener#NONE} when there are none. */
  public CourierListener listener() {
    return listener;
  }

  /** Registration order, first outermost; never modified (a registration replaces the array). */
  public DeliveryInterceptor[] deliveryInterceptors() {
    return delivery;
  }

  public PublishInterceptor[] publishInterceptors() {
    return publish;
  }

  public boolean handlerMdc() {
    return handlerMdc;
  }

  /** {@code handler} wrapped by {@code interceptors}, the first outermost; built once per change. */
  static MessageHandler compose(DeliveryInterceptor[] interceptors, MessageHandler handler) {
    MessageHandler h = handler;
    for (int i = interceptors.length - 1; i >= 0; i--) {
      DeliveryInterceptor interceptor = interceptors[i];
      MessageHandler next = h;
      h = d -> interceptor.around(d, next);
    }
    return h;
  }

  private static <T> T[] append(T[] array, T element) {
    T[] copy = Arrays.copyOf(array, array.length + 1);
    copy[array.length] = element;
    return copy;
  }
}
