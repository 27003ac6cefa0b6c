package io.pgroute.proxy.session;

import io.pgroute.proxy.sql.BuiltinFunctions;
import io.pgroute.proxy.sql.Classifier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Session settings kept as PostgreSQL keeps them, driven cycle by cycle. */
class SettingsTrackerTest {

    private static Classifier classifier;
    private final SettingsTracker tracker = new SettingsTracker();

    @BeforeAll
    static void start() {
        classifier = new Classifier(new BuiltinFunctions(), 1000);
    }

    @AfterAll
    static void stop() {
        classifier.close();
    }

    /** Sends one cycle made of {@code sql} and ends it with ReadyForQuery {@code status}. */
    private boolean cycle(String sql, boolean failed, char previous, char status) {
        tracker.onStatement(classifier.classify(sql));
        tracker.endCycle();
        if (failed) {
            tracker.onError();
        }
        String[] parts = sql.split(";");
        tracker.onCommandComplete(parts[parts.length - 1].trim().toUpperCase().startsWith("ROLLBACK") ? "ROLLBACK"
                : parts[parts.length - 1].trim().toUpperCase().startsWith("COMMIT") ? "COMMIT" : "SELECT 1");
        return tracker.onReadyForQuery((byte) status, (byte) previous);
    }

    @Test
    void keepsAnAutocommitSet() {
        cycle("SET search_path = a, public", false, 'I', 'I');
        assertThat(tracker.desired().values()).isEqualTo(Map.of("search_path", "a, public"));
    }

    @Test
    void forgetsAFailedStatementsSet() {
        cycle("SET search_path = a; SELECT 1/0", true, 'I', 'I');
        assertThat(tracker.desired().isEmpty()).isTrue();
    }

    @Test
    void appliesATransactionsSetsAtCommitOnly() {
        cycle("BEGIN", false, 'I', 'T');
        cycle("SET statement_timeout = 5000", false, 'T', 'T');
        assertThat(tracker.desired().isEmpty()).as("not before commit").isTrue();
        cycle("COMMIT", false, 'T', 'I');
        assertThat(tracker.desired().values()).isEqualTo(Map.of("statement_timeout", "5000"));
    }

    @Test
    void forgetsARolledBackTransactionsSets() {
        cycle("BEGIN", false, 'I', 'T');
        cycle("SET statement_timeout = 5000", false, 'T', 'T');
        cycle("ROLLBACK", false, 'T', 'I');
        assertThat(tracker.desired().isEmpty()).isTrue();
    }

    @Test
    void forgetsSetsRolledBackToASavepoint() {
        cycle("BEGIN", false, 'I', 'T');
        cycle("SET search_path = kept", false, 'T', 'T');
        cycle("SAVEPOINT s1", false, 'T', 'T');
        cycle("SET statement_timeout = 555", false, 'T', 'T');
        cycle("ROLLBACK TO SAVEPOINT s1", false, 'T', 'T');
        cycle("COMMIT", false, 'T', 'I');
        assertThat(tracker.desired().values()).isEqualTo(Map.of("search_path", "kept"));
    }

    @Test
    void ignoresSetLocal() {
        cycle("BEGIN", false, 'I', 'T');
        cycle("SET LOCAL statement_timeout = 1", false, 'T', 'T');
        cycle("COMMIT", false, 'T', 'I');
        assertThat(tracker.desired().isEmpty()).isTrue();
    }

    @Test
    void resetAllClearsAllButTheRoleAndDiscardAllClearsEverything() {
        cycle("SET search_path = a", false, 'I', 'I');
        cycle("RESET ALL", false, 'I', 'I');
        assertThat(tracker.desired().isEmpty()).isTrue();
        cycle("SET ROLE reporting", false, 'I', 'I');
        cycle("SET SESSION AUTHORIZATION other", false, 'I', 'I');
        cycle("SET search_path = a", false, 'I', 'I');
        cycle("RESET ALL", false, 'I', 'I');
        assertThat(tracker.desired().values()).as("RESET ALL leaves role and session authorization (COMPAT G5)")
                .containsOnlyKeys("role", "session_authorization");
        cycle("SET search_path = a", false, 'I', 'I');
        assertThat(cycle("DISCARD ALL", false, 'I', 'I')).as("reports DISCARD ALL").isTrue();
        assertThat(tracker.desired().isEmpty()).isTrue();
    }
}
