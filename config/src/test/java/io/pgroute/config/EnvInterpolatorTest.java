package io.pgroute.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvInterpolatorTest {

    private final EnvInterpolator interpolator =
            new EnvInterpolator(Map.of("USER", "app", "EMPTY", "", "DOLLAR", "${USER}")::get);

    @Test
    void replacesVariablesInsideText() throws Exception {
        assertThat(interpolator.interpolate("postgres://${USER}@db/${USER}")).isEqualTo("postgres://app@db/app");
    }

    @Test
    void usesTheDefaultWhenUnsetOrEmpty() throws Exception {
        assertThat(interpolator.interpolate("${MISSING:-fallback}")).isEqualTo("fallback");
        assertThat(interpolator.interpolate("${EMPTY:-fallback}")).isEqualTo("fallback");
        assertThat(interpolator.interpolate("${USER:-fallback}")).isEqualTo("app");
        assertThat(interpolator.interpolate("${MISSING:-}")).isEmpty();
        assertThat(interpolator.interpolate("${EMPTY}")).isEmpty();
    }

    @Test
    void leavesPlainDollarsAloneAndUnescapesDoubleDollarBrace() throws Exception {
        assertThat(interpolator.interpolate("SCRAM-SHA-256$4096:a$b:c")).isEqualTo("SCRAM-SHA-256$4096:a$b:c");
        assertThat(interpolator.interpolate("$${USER} costs $5")).isEqualTo("${USER} costs $5");
    }

    @Test
    void doesNotSubstituteValuesTwice() throws Exception {
        assertThat(interpolator.interpolate("${DOLLAR}")).isEqualTo("${USER}");
    }

    @Test
    void rejectsUnsetAndMalformedReferences() {
        assertThatThrownBy(() -> interpolator.interpolate("x${MISSING}"))
                .hasMessage("environment variable MISSING is not set");
        assertThatThrownBy(() -> interpolator.interpolate("${USER")).hasMessage("unterminated ${ in value");
        assertThatThrownBy(() -> interpolator.interpolate("${}"))
                .hasMessage("invalid environment variable reference ${}");
        assertThatThrownBy(() -> interpolator.interpolate("${A-B}"))
                .hasMessage("invalid environment variable reference ${A-B}");
    }
}
