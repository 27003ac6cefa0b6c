package io.pgroute.proxy.session;

import io.pgroute.protocol.backend.ErrorResponse;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Which replica errors send a read to the primary, and which of them are about the session, not the statement. */
class ReplicaAttemptTest {

    private static final ErrorResponse SERIALIZABLE = ErrorResponse.error("0A000",
            "cannot use serializable mode in a hot standby");

    @Test
    void aSerializableRefusalNeedsThePrimaryForTheSessionNotTheStatement() {
        assertThat(ReplicaAttempt.needsPrimary(SERIALIZABLE)).isTrue();
        assertThat(ReplicaAttempt.refusesSerializable(SERIALIZABLE)).isTrue();
        ErrorResponse readOnly = ErrorResponse.error("25006", "cannot execute INSERT in a read-only transaction");
        assertThat(ReplicaAttempt.needsPrimary(readOnly)).isTrue();
        assertThat(ReplicaAttempt.refusesSerializable(readOnly)).isFalse();
        ErrorResponse planChanged = ErrorResponse.error("0A000", "cached plan must not change result type");
        assertThat(ReplicaAttempt.needsPrimary(planChanged)).isFalse();
        assertThat(ReplicaAttempt.refusesSerializable(planChanged)).isFalse();
    }
}
