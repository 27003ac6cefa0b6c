package io.pgroute.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ScramVerifierTest {

    /** Password "svc-secret", salt "pgroute-salt-123", 4096 iterations, computed independently with Python. */
    private static final String STORED = "6elP5aaygnsd2XYrYy0k7OgZ9gRTzpQ0Km4FaOVCwIY=";
    private static final String SERVER = "ohSHpPmplGlKVLEFzW4udQHPXwKNPxTH/DBmjOvRGws=";
    private static final String TEXT = "SCRAM-SHA-256$4096:cGdyb3V0ZS1zYWx0LTEyMw==$" + STORED + ":" + SERVER;

    @Test
    void parsesThePostgresqlFormat() {
        ScramVerifier verifier = ScramVerifier.parse(TEXT);

        assertThat(verifier.iterations()).isEqualTo(4096);
        assertThat(new String(verifier.salt(), StandardCharsets.US_ASCII)).isEqualTo("pgroute-salt-123");
        assertThat(verifier.storedKey()).isEqualTo(Base64.getDecoder().decode(STORED)).hasSize(32);
        assertThat(verifier.serverKey()).isEqualTo(Base64.getDecoder().decode(SERVER)).hasSize(32);
    }

    @Test
    void comparesByContentAndHidesKeys() {
        ScramVerifier verifier = ScramVerifier.parse(TEXT);

        assertThat(verifier).isEqualTo(ScramVerifier.parse(TEXT)).hasSameHashCodeAs(ScramVerifier.parse(TEXT));
        assertThat(verifier.toString()).isEqualTo("ScramVerifier[iterations=4096, keys=***]");
    }

    @Test
    void cannotBeChangedThroughItsArrays() {
        ScramVerifier verifier = ScramVerifier.parse(TEXT);
        verifier.storedKey()[0] ^= 1;

        assertThat(verifier.storedKey()).isEqualTo(Base64.getDecoder().decode(STORED));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "",
        "SCRAM-SHA-256$4096:c2FsdA==$stored:server",
        "SCRAM-SHA-1$4096:cGdyb3V0ZS1zYWx0LTEyMw==$" + STORED + ":" + SERVER,
        "SCRAM-SHA-256$0:cGdyb3V0ZS1zYWx0LTEyMw==$" + STORED + ":" + SERVER,
        "SCRAM-SHA-256$4096:$" + STORED + ":" + SERVER,
        "SCRAM-SHA-256$4096:c2FsdA=$" + STORED + ":" + SERVER,
        "SCRAM-SHA-256$4096:cGdyb3V0ZS1zYWx0LTEyMw==$" + STORED,
        "md5d41d8cd98f00b204e9800998ecf8427e"})
    void rejectsMalformedVerifiers(String text) {
        assertThatThrownBy(() -> ScramVerifier.parse(text)).isInstanceOf(IllegalArgumentException.class);
    }
}
