package dev.courier.tck;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;

/**
 * The Courier technology compatibility kit: every guarantee of ARCHITECTURE.md's "Semantics every
 * adapter must give", as rules run through the public Courier API. An adapter's test module adds
 * one class:
 *
 * <pre>{@code
 * class KafkaTckTest extends CourierTck {
 *   @Override protected TckFixture fixture() {
 *     return new TckFixture() {
 *       @Override public Courier newCourier() { return Courier.fromConfig(config); }
 *       @Override public Capabilities capabilities() { return Capabilities.builder().with(FAN_OUT).build(); }
 *     };
 *   }
 * }
 * }</pre>
 *
 * <p>Rules are grouped by guarantee ({@code @Nested}); each display name starts with a stable id
 * ({@code TCK-3.1}) that failure messages quote. Rules for a capability the adapter does not
 * declare, and fault rules when the fixture cannot stop the broker, are reported SKIPPED with the
 * reason, never PASSED. The run writes {@code target/courier-tck/<adapter>.json} and {@code .md}.
 * Rules of the redelivery and dead-letter groups also exercise the core's reliability layer
 * ({@code DeliveryProcessor}), which every adapter shares.
 *
 * <p>Each group's rules live in a file of their own ({@code RoundTripRules}, ...), on the shared
 * {@code RuleGroup}; this class only nests them, as JUnit's {@code @Nested} wants inner classes.
 */
public abstract class CourierTck extends TckSupport {
  protected CourierTck() {}

  @Nested
  @DisplayName("TCK-0 declarations")
  class Declarations extends DeclarationRules {
    Declarations() {
      super(CourierTck.this);
    }
  }

  @Nested
  @DisplayName("TCK-1 round trip")
  class RoundTrip extends RoundTripRules {
    RoundTrip() {
      super(CourierTck.this);
    }
  }

  @Nested
  @DisplayName("TCK-2 publishing")
  class Publishing extends PublishingRules {
    Publishing() {
      super(CourierTck.this);
    }
  }

  @Nested
  @DisplayName("TCK-3 delivery")
  class AtLeastOnce extends DeliveryRules {
    AtLeastOnce() {
      super(CourierTck.this);
    }
  }

  @Nested
  @DisplayName("TCK-4 redelivery")
  class Redelivery extends RedeliveryRules {
    Redelivery() {
      super(CourierTck.this);
    }
  }

  @Nested
  @DisplayName("TCK-7 ordering")
  class Ordering extends OrderingRules {
    Ordering() {
      super(CourierTck.this);
    }
  }

  @Nested
  @DisplayName("TCK-8 flow control")
  class FlowControl extends FlowControlRules {
    FlowControl() {
      super(CourierTck.this);
    }
  }

  @Nested
  @DisplayName("TCK-9 close and crash")
  class CloseAndCrash extends CloseAndCrashRules {
    CloseAndCrash() {
      super(CourierTck.this);
    }
  }

  @Nested
  @DisplayName("TCK-10 delayed publish")
  class DelayedPublish extends DelayedPublishRules {
    DelayedPublish() {
      super(CourierTck.this);
    }
  }

  @Nested
  @DisplayName("TCK-5 dead letters")
  class DeadLettering extends DeadLetterRules {
    DeadLettering() {
      super(CourierTck.this);
    }
  }

  @Nested
  @DisplayName("TCK-6 idempotency")
  class Idempotent extends IdempotencyRules {
    Idempotent() {
      super(CourierTck.this);
    }
  }

  @Nested
  @DisplayName("TCK-11 bad input")
  class BadInput extends BadInputRules {
    BadInput() {
      super(CourierTck.this);
    }
  }

  @Nested
  @DisplayName("TCK-12 leases")
  class Leases extends LeaseRules {
    Leases() {
      super(CourierTck.this);
    }
  }
}
