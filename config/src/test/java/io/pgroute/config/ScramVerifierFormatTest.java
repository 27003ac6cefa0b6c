package io.pgroute.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ScramVerifierFormatTest {

    /** Password "svc-secret", salt "pgroute-salt-123", 4096 iterations, computed independently with Python. */
    private static final String STORED = "6elP5aaygnsd2XYrYy0k7OgZ9gRTzpQ0Km4FaOVCwIY=";
    private static final String SERVER = "ohSHpPmplGlKVLEFzW4udQHPXwKNPxTH/DBmjOvRGws=";
    private static final String TEXT = "SCRAM-SHA-256$4096:cGdyb3V0ZS1zYWx0LTEyMw==$" + STORED + ":" + SERVER;

    @Test
    void acceptsThePostgresqlFormat() {
        assertThat(ScramVerifierFormat.isValid(TEXT)).isTrue();
        assertThat(ScramVerifierFormat.isValid("SCRAM-SHA-256$1:c2FsdA==$" + STORED + ":" + SERVER)).isTrue();
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
        "SCRAM-SHA-256$4096:cGdyb3V0ZS1zYWx0LTEyMw==$" + SERVER + "AAAA:" + SERVER,
        " " + TEXT,
        "md5d41d8cd98f00b204e9800998ecf8427e"})
    void rejectsMalformedVerifiers(String text) {
        assertThat(ScramVerifierFormat.isValid(text)).isFalse();
    }
}
