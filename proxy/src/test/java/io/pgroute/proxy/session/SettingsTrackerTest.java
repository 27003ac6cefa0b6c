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
    private final SettingsTracker tracker = new SettingsTracker(new SessionPins());

    @BeforeAll
    static void start() {
        classifier = new Classifier(new BuiltinFunctions(), 1000);
    }

    @AfterAll
    static void stop() {
        classifier.close();
    }

    /** Sends one cycle made of {@code sql}, all of which runs, and ends it with ReadyForQuery {@code status}. */
    private boolean cycle(String sql, boolean failed, char previous, char status) {
        return cycle(sql, failed ? 0 : -1, status);
    }

    /** One cycle of {@code sql} (see {@link TrackerCycles#cycle}). */
    private boolean cycle(String sql, int failing, char status) {
        if (cycles == null) {
            cycles = new TrackerCycles(classifier, tracker);
        }
        return cycles.cycle(sql, failing, status);
    }

    private TrackerCycles cycles;

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

    @Test
    void keepsASavepointTakenInACycleThatFailedAfterIt() {
        // pgjdbc's autosave: SAVEPOINT PGJDBC_AUTOSAVE in the same Sync as each query (COMPAT G1)
        cycle("BEGIN; SAVEPOINT pgjdbc_autosave; SET statement_timeout = 50", -1, 'T');
        cycle("SAVEPOINT pgjdbc_autosave; SELECT 1/0", 1, 'E');
        cycle("ROLLBACK TO SAVEPOINT pgjdbc_autosave", -1, 'T');
        cycle("COMMIT", -1, 'I');
        assertThat(tracker.desired().values()).as("the savepoint was taken after the SET")
                .isEqualTo(Map.of("statement_timeout", "50"));
    }

    @Test
    void keepsASetThatRanBeforeTheFailureWhenRolledBackToASavepointAfterIt() {
        cycle("BEGIN", -1, 'T');
        cycle("SET search_path = kept; SAVEPOINT b; SELECT 1/0; SET statement_timeout = 1", 2, 'E');
        cycle("ROLLBACK TO b", -1, 'T');
        cycle("COMMIT", -1, 'I');
        assertThat(tracker.desired().values()).as("what ran before the error, not what came after it")
                .isEqualTo(Map.of("search_path", "kept"));
    }

    @Test
    void forgetsAFailedTransactionCommitted() {
        cycle("BEGIN", -1, 'T');
        cycle("SET search_path = a", -1, 'T');
        cycle("SELECT 1/0", 0, 'E');
        cycle("COMMIT", -1, 'I');
        assertThat(tracker.desired().isEmpty()).isTrue();
    }

    @Test
    void commitAndChainCommitsWhatCameBeforeIt() {
        cycle("BEGIN", -1, 'T');
        cycle("SET search_path = s2", -1, 'T');
        cycle("COMMIT AND CHAIN", -1, 'T');
        cycle("SET statement_timeout = 5", -1, 'T');
        cycle("ROLLBACK", -1, 'I');
        assertThat(tracker.desired().values()).isEqualTo(Map.of("search_path", "s2"));
    }

    @Test
    void rollbackAndChainForgetsWhatCameBeforeIt() {
        cycle("BEGIN", -1, 'T');
        cycle("SET search_path = s2", -1, 'T');
        cycle("ROLLBACK AND CHAIN", -1, 'T');
        cycle("SET statement_timeout = 5", -1, 'T');
        cycle("COMMIT", -1, 'I');
        assertThat(tracker.desired().values()).isEqualTo(Map.of("statement_timeout", "5"));
    }

    @Test
    void keepsWhatACommitInsideAFailedQueryCommitted() {
        cycle("SET search_path = a; COMMIT; SET statement_timeout = 5; SELECT 1/0", 3, 'I');
        assertThat(tracker.desired().values()).isEqualTo(Map.of("search_path", "a"));
    }
}
