package io.pgroute.proxy.session;

import io.pgroute.proxy.sql.BuiltinFunctions;
import io.pgroute.proxy.sql.Classifier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A session pinned for the state it left on its connection, and unpinned once that state is gone. */
class SessionPinsTest {

    private static Classifier classifier;
    private final SessionPins pins = new SessionPins();
    private final SettingsTracker tracker = new SettingsTracker(pins);

    @BeforeAll
    static void start() {
        classifier = new Classifier(new BuiltinFunctions(), 1000);
    }

    @AfterAll
    static void stop() {
        classifier.close();
    }

    /** One cycle of {@code sql} (see {@link TrackerCycles#cycle}). */
    private void cycle(String sql, int failing, char status) {
        new TrackerCycles(classifier, tracker).cycle(sql, failing, status);
    }

    private void ok(String sql) {
        cycle(sql, -1, 'I');
    }

    @Test
    void eachKindOfStateIsFreedByItsOwnStatement() {
        String[][] cases = {
                {"LISTEN jobs", "UNLISTEN *"},
                {"SELECT pg_advisory_lock(42)", "SELECT pg_advisory_unlock_all()"},
                {"SELECT pg_catalog.pg_try_advisory_lock(42)", "SELECT pg_catalog.pg_advisory_unlock_all()"},
                {"PREPARE p AS SELECT 1", "DEALLOCATE ALL"},
                {"DECLARE c CURSOR WITH HOLD FOR SELECT 1", "CLOSE ALL"},
                {"SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE", "RESET ALL"},
        };
        for (String[] each : cases) {
            SessionPins fresh = new SessionPins();
            SettingsTracker own = new SettingsTracker(fresh);
            own.onStatement(classifier.classify(each[0]));
            assertThat(fresh.pinned()).as(each[0]).isTrue();
            own.onStatement(classifier.classify(each[1]));
            own.endCycle();
            own.onStatementDone();
            own.onStatementDone();
            own.onReadyForQuery((byte) 'I');
            assertThat(fresh.pinned()).as(each[0] + " then " + each[1]).isFalse();
        }
    }

    @Test
    void anotherKindsStatementDoesNotUnpin() {
        ok("LISTEN jobs");
        ok("SELECT pg_advisory_unlock_all()");
        ok("DEALLOCATE ALL");
        ok("RESET ALL");
        ok("CLOSE ALL");
        ok("UNLISTEN jobs");  // one channel: only the server can say whether it was the last (StateProbe)
        assertThat(pins.pinned()).isTrue();
        assertThat(pins.reason()).isEqualTo("listen");
        ok("UNLISTEN *");
        assertThat(pins.pinned()).isFalse();
    }

    @Test
    void everyKindMustBeFreed() {
        ok("LISTEN jobs");
        ok("SELECT pg_advisory_lock(1)");
        ok("UNLISTEN *");
        assertThat(pins.pinned()).isTrue();
        assertThat(pins.reason()).contains("pg_advisory_lock");
        ok("SELECT pg_advisory_unlock_all()");
        assertThat(pins.pinned()).isFalse();
    }

    @Test
    void asyncpgsReleaseUnpinsWhatItFrees() {
        ok("LISTEN jobs");
        ok("SELECT pg_advisory_lock(7)");
        assertThat(pins.pinned()).as("before the release").isTrue();
        ok("SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL;");
        assertThat(pins.pinned()).isFalse();
    }

    @Test
    void temporaryTablesNeedDiscardTempOrAll() {
        for (String pin : new String[]{"CREATE TEMP TABLE t (a int)", "SELECT 1 INTO TEMP t2",
                "CREATE TEMPORARY VIEW v AS SELECT 1"}) {
            for (String free : new String[]{"DISCARD TEMP", "DISCARD TEMPORARY", "DISCARD ALL"}) {
                SessionPins fresh = new SessionPins();
                TrackerCycles own = new TrackerCycles(classifier, new SettingsTracker(fresh));
                own.cycle(pin, -1, 'I');
                own.cycle("SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL; DEALLOCATE ALL", -1,
                        'I');
                assertThat(fresh.pinned()).as(pin).isTrue();
                assertThat(fresh.reason()).as(pin).contains("temp");
                own.cycle(free, -1, 'I');
                assertThat(fresh.pinned()).as(pin + " then " + free).isFalse();
            }
        }
    }

    @Test
    void doBlocksAndSetConfigNeedDiscardAll() {
        for (String pin : new String[]{"DO $$BEGIN PERFORM set_config('a.b', 'c', false); END$$",
                "SELECT set_config('role', 'someone', false)"}) {
            SessionPins fresh = new SessionPins();
            SettingsTracker own = new SettingsTracker(fresh);
            for (String free : new String[]{"SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL",
                    "DEALLOCATE ALL", "DISCARD TEMP"}) {
                own.onStatement(classifier.classify(pin));
                own.onStatement(classifier.classify(free));
                own.endCycle();
                for (int i = 0; i < 6; i++) {
                    own.onStatementDone();
                }
                own.onReadyForQuery((byte) 'I');
                assertThat(fresh.pinned()).as(pin + " then " + free).isTrue();
            }
            own.onStatement(classifier.classify("DISCARD ALL"));
            own.endCycle();
            own.onStatementDone();
            own.onReadyForQuery((byte) 'I');
            assertThat(fresh.pinned()).as(pin + " then DISCARD ALL").isFalse();
        }
    }

    @Test
    void aPinSentAfterTheFreeingStatementStays() {
        ok("LISTEN a");
        ok("UNLISTEN *; LISTEN b");
        assertThat(pins.pinned()).isTrue();
        ok("DISCARD ALL");
        assertThat(pins.pinned()).isFalse();
        // Npgsql puts DISCARD ALL in front of the next client's first command, in one write
        ok("SELECT pg_advisory_lock(1)");
        tracker.onStatement(classifier.classify("DISCARD ALL"));
        tracker.endCycle();
        tracker.onStatement(classifier.classify("LISTEN c"));
        tracker.endCycle();
        tracker.onStatementDone();
        tracker.onReadyForQuery((byte) 'I');
        assertThat(pins.pinned()).as("the LISTEN after it, not answered yet").isTrue();
        tracker.onStatementDone();
        tracker.onReadyForQuery((byte) 'I');
        assertThat(pins.pinned()).isTrue();
        assertThat(pins.reason()).isEqualTo("listen");
    }

    @Test
    void aStatementThatLocksAndUnlocksStaysPinned() {
        ok("SELECT pg_advisory_unlock_all(), pg_advisory_lock(3)");
        assertThat(pins.pinned()).isTrue();
    }

    @Test
    void freeingCountsOnlyOnceCommitted() {
        ok("LISTEN a");
        cycle("BEGIN; UNLISTEN *; ROLLBACK", -1, 'I');
        assertThat(pins.pinned()).as("rolled back").isTrue();
        cycle("UNLISTEN *; SELECT 1/0", 1, 'I');
        assertThat(pins.pinned()).as("its implicit transaction failed").isTrue();
        cycle("BEGIN; SAVEPOINT s; UNLISTEN *; ROLLBACK TO s; COMMIT", -1, 'I');
        assertThat(pins.pinned()).as("rolled back to a savepoint").isTrue();
        cycle("BEGIN", -1, 'T');
        cycle("UNLISTEN *", -1, 'T');
        assertThat(pins.pinned()).as("not committed yet").isTrue();
        cycle("COMMIT", -1, 'I');
        assertThat(pins.pinned()).isFalse();
    }

    /** What a rollback (of a transaction, a savepoint, or an implicit transaction) takes away pins no more. */
    private static final String[] TRANSACTIONAL = {"LISTEN jobs", "DECLARE c CURSOR WITH HOLD FOR SELECT 1",
            "CREATE TEMP TABLE t (a int)", "SELECT 1 INTO TEMP t2", "CREATE TEMP SEQUENCE s",
            "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE",
            "SELECT set_config('role', 'someone', false)"};

    @Test
    void aPinWhoseStateWasRolledBackEnds() {
        for (String pin : TRANSACTIONAL) {
            SessionPins fresh = new SessionPins();
            TrackerCycles own = new TrackerCycles(classifier, new SettingsTracker(fresh));
            own.cycle("BEGIN; " + pin + "; ROLLBACK", -1, 'I');
            assertThat(fresh.pinned()).as("BEGIN; %s; ROLLBACK", pin).isFalse();

            own.cycle("BEGIN", -1, 'T');
            own.cycle(pin, -1, 'T');
            assertThat(fresh.pinned()).as("%s in a transaction", pin).isTrue();
            own.cycle("SELECT 1/0", 0, 'E');
            assertThat(fresh.pinned()).as("%s in a failed transaction", pin).isTrue();
            own.cycle("ROLLBACK", -1, 'I');
            assertThat(fresh.pinned()).as("%s, then the transaction failed and rolled back", pin).isFalse();

            own.cycle("BEGIN; SAVEPOINT s; " + pin + "; ROLLBACK TO s; COMMIT", -1, 'I');
            assertThat(fresh.pinned()).as("%s rolled back to a savepoint", pin).isFalse();

            own.cycle(pin + "; SELECT 1/0", 1, 'I');
            assertThat(fresh.pinned()).as("%s in a failed implicit transaction", pin).isFalse();

            own.cycle("SELECT 1/0; " + pin, 0, 'I');
            assertThat(fresh.pinned()).as("%s after an error: never ran", pin).isFalse();

            own.cycle("BEGIN; SAVEPOINT s; " + pin + "; RELEASE s; COMMIT", -1, 'I');
            assertThat(fresh.pinned()).as("%s committed after its savepoint was released", pin).isTrue();
        }
    }

    @Test
    void advisoryLocksPreparedStatementsAndDoBlocksOutliveARollback() {
        for (String pin : new String[]{"SELECT pg_advisory_lock(1)", "PREPARE p AS SELECT 1",
                "DO $$BEGIN PERFORM set_config('a.b', 'c', false); END$$"}) {
            SessionPins fresh = new SessionPins();
            TrackerCycles own = new TrackerCycles(classifier, new SettingsTracker(fresh));
            own.cycle("BEGIN", -1, 'T');
            own.cycle(pin, -1, 'T');  // one cycle of its own: TrackerCycles counts statements by semicolons
            own.cycle("ROLLBACK", -1, 'I');
            assertThat(fresh.pinned()).as("BEGIN; %s; ROLLBACK", pin).isTrue();
        }
    }

    @Test
    void aRolledBackPinLeavesTheOthers() {
        ok("LISTEN a");
        cycle("BEGIN; LISTEN b; ROLLBACK", -1, 'I');
        assertThat(pins.pinned()).as("LISTEN a is still in force").isTrue();
        ok("UNLISTEN *");
        assertThat(pins.pinned()).isFalse();

        ok("LISTEN a");
        cycle("BEGIN; UNLISTEN *; LISTEN c; COMMIT", -1, 'I');
        assertThat(pins.pinned()).as("LISTEN c, after the UNLISTEN *").isTrue();
        cycle("BEGIN; LISTEN d; ROLLBACK", -1, 'I');
        assertThat(pins.pinned()).as("LISTEN c").isTrue();
        cycle("BEGIN; UNLISTEN *; LISTEN e; ROLLBACK", -1, 'I');
        assertThat(pins.pinned()).as("LISTEN c, still").isTrue();
        ok("UNLISTEN *");
        assertThat(pins.pinned()).isFalse();
    }

    @Test
    void aLoadedLibraryStaysForGood() {
        ok("LOAD 'auto_explain'");
        ok("SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL; DEALLOCATE ALL; DISCARD TEMP");
        ok("DISCARD ALL");
        cycle("BEGIN; LOAD 'auto_explain'; ROLLBACK", -1, 'I');
        assertThat(pins.pinned()).isTrue();
        assertThat(pins.loadedLibrary()).isTrue();
        assertThat(pins.reason()).isEqualTo("load");

        SessionPins fresh = new SessionPins();
        new TrackerCycles(classifier, new SettingsTracker(fresh)).cycle("BEGIN; LOAD 'auto_explain'; ROLLBACK", -1,
                'I');
        assertThat(fresh.loadedLibrary()).as("a rollback does not unload it").isTrue();
    }

    @Test
    void aStatementSentAfterAnErrorNeverRanAndPinsNothing() {
        for (String pin : new String[]{"SELECT pg_advisory_lock(1)", "PREPARE p AS SELECT 1", "LOAD 'auto_explain'",
                "LISTEN jobs"}) {
            SessionPins fresh = new SessionPins();
            TrackerCycles own = new TrackerCycles(classifier, new SettingsTracker(fresh));
            own.cycle("SELECT 1/0; " + pin, 0, 'I');
            assertThat(fresh.pinned()).as("SELECT 1/0; %s", pin).isFalse();
            own.cycle("BEGIN; SELECT 1/0; " + pin, 1, 'E');
            own.cycle("ROLLBACK", -1, 'I');
            assertThat(fresh.pinned()).as("BEGIN; SELECT 1/0; %s", pin).isFalse();
        }
        // the statement that failed may have taken its lock before the error: a rollback does not release it
        cycle("SELECT pg_advisory_lock(1), 1/0", 0, 'I');
        assertThat(pins.pinned()).isTrue();
    }

    @Test
    void aStatementThatMayEndTheLastPieceOfAKindMakesItUncertain() {
        ok("SELECT pg_advisory_lock(1)");
        assertThat(pins.stateUncertain()).as("a lock taken for sure").isFalse();
        ok("SELECT pg_advisory_unlock(1)");
        assertThat(pins.stateUncertain()).isTrue();
        SessionPins.Freeing none = pins.question();
        assertThat(none.kinds()).containsExactly(SessionPins.Kind.ADVISORY_LOCK);
        assertThat(pins.stateUncertain()).as("asked").isFalse();
        ok("SELECT pg_try_advisory_lock(2)");  // sent after the question: its answer does not end this pin
        pins.free(none);
        assertThat(pins.pinned()).isTrue();
        assertThat(pins.stateUncertain()).isTrue();
        pins.free(pins.question());
        assertThat(pins.pinned()).isFalse();

        ok("SELECT pg_try_advisory_lock(3)");
        ok("LISTEN jobs");
        pins.free(pins.question());
        assertThat(pins.pinned()).as("the LISTEN").isTrue();
        assertThat(pins.stateUncertain()).as("no lock pinned").isFalse();
        ok("SELECT pg_advisory_unlock(3)");
        assertThat(pins.stateUncertain()).as("no lock pinned: nothing to ask").isFalse();
        ok("UNLISTEN *");
        assertThat(pins.stateUncertain()).as("UNLISTEN * ends them itself").isFalse();
        assertThat(pins.pinned()).isFalse();

        ok("LISTEN a");
        ok("LISTEN b");
        ok("UNLISTEN a");
        assertThat(pins.stateUncertain()).isTrue();
        assertThat(pins.question().kinds()).containsExactly(SessionPins.Kind.LISTEN);
        ok("PREPARE p AS SELECT 1");
        ok("DEALLOCATE ALL");
        ok("PREPARE q AS SELECT 1");
        ok("DEALLOCATE q");
        assertThat(pins.stateUncertain()).isTrue();
        assertThat(pins.question().kinds()).containsExactly(SessionPins.Kind.PREPARED);

        ok("DROP TABLE t");
        assertThat(pins.stateUncertain()).as("no temporary object pinned").isFalse();
        ok("CREATE TEMP TABLE a (x int)");
        ok("CREATE TEMP TABLE b (x int)");
        ok("DROP TABLE a");
        assertThat(pins.stateUncertain()).isTrue();
        SessionPins.Freeing tables = pins.question();
        assertThat(tables.kinds()).containsExactly(SessionPins.Kind.TEMPORARY);
        ok("DECLARE c CURSOR WITH HOLD FOR SELECT 1");
        ok("CLOSE c");
        assertThat(pins.stateUncertain()).isTrue();
        assertThat(pins.question().kinds()).containsExactly(SessionPins.Kind.HELD_CURSOR);
        ok("CLOSE ALL");
        assertThat(pins.stateUncertain()).as("CLOSE ALL ends them itself").isFalse();
        pins.free(tables);
        ok("UNLISTEN *");
        ok("DEALLOCATE ALL");
        assertThat(pins.pinned()).isFalse();
    }
}
