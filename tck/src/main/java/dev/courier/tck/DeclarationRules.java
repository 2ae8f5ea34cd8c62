package dev.courier.tck;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** TCK-0 declarations: the rules of {@link CourierTck.Declarations}. */
abstract class DeclarationRules extends RuleGroup {
  DeclarationRules(TckSupport tck) {
    super(tck);
  }

  @Test
  @DisplayName("TCK-0.1 the adapter declares exactly the capabilities the fixture expects")
  void declaresExpectedCapabilities() {
    check(courier().capabilities().features().equals(declared().features()),
        "the adapter declares " + courier().capabilities().features() + " but the fixture expects "
            + declared().features(),
        "Transport.capabilities(): a capability claimed wrongly makes the TCK skip or run the wrong rules");
  }
}
