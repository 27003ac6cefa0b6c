package io.pgroute.proxy.session;

import io.pgroute.proxy.sql.BuiltinFunctions;
import io.pgroute.proxy.sql.Classifier;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Which statements make the session's next commit asynchronous, so that its watermark must cover inserted WAL. */
class ReadPlacementTest {

    @Test
    void aSetOfSynchronousCommitToOffAloneOrInAQueryIsSeen() throws Exception {
        try (Classifier classifier = new Classifier(new BuiltinFunctions(), 100)) {
            for (String sql : new String[] {"SET LOCAL synchronous_commit TO off", "set synchronous_commit = 'OFF'",
                    "SET SESSION synchronous_commit = false", "BEGIN; SET LOCAL synchronous_commit TO 0; COMMIT"}) {
                assertThat(ReadPlacement.turnsSynchronousCommitOff(classifier.classify(sql))).as(sql).isTrue();
            }
            for (String sql : new String[] {"SET LOCAL synchronous_commit TO on", "SET synchronous_commit = local",
                    "SET statement_timeout = 0", "RESET synchronous_commit", "SELECT 'synchronous_commit = off'"}) {
                assertThat(ReadPlacement.turnsSynchronousCommitOff(classifier.classify(sql))).as(sql).isFalse();
            }
        }
    }

    @Test
    void aChangeOfSynchronousCommitPgrouteCannotReadMakesTheSessionsCommitsUnknownUntilASetOrResetItReads()
            throws Exception {
        try (Classifier classifier = new Classifier(new BuiltinFunctions(), 100)) {
            for (String sql : new String[] {"SELECT set_config('synchronous_commit', 'off', false)",
                    "select pg_catalog.set_config('SYNCHRONOUS_COMMIT', $1, true)",
                    "DO $$ BEGIN SET synchronous_commit = off; END $$",
                    "SET synchronous_commit = off; SELECT 1",
                    "select 1; SELECT 'Synchronous_Commit = off'"}) {  // erring towards unknown
                assertThat(ReadPlacement.namesSynchronousCommitUnseen(classifier.classify(sql), sql)).as(sql)
                        .isTrue();
            }
            for (String sql : new String[] {"SET synchronous_commit = off", "RESET synchronous_commit",
                    "SHOW synchronous_commit", "SELECT set_config('statement_timeout', '0', false)",
                    "SELECT 'synchronous_commit = off'", "INSERT INTO t VALUES ('synchronous_commit')"}) {
                assertThat(ReadPlacement.namesSynchronousCommitUnseen(classifier.classify(sql), sql)).as(sql)
                        .isFalse();
            }
            for (String sql : new String[] {"SET synchronous_commit = on", "RESET synchronous_commit", "RESET ALL",
                    "DISCARD ALL"}) {
                assertThat(ReadPlacement.settlesSynchronousCommit(classifier.classify(sql))).as(sql).isTrue();
            }
            for (String sql : new String[] {"SET LOCAL synchronous_commit = on", "DISCARD PLANS",
                    "SET statement_timeout = 0", "RESET statement_timeout"}) {
                assertThat(ReadPlacement.settlesSynchronousCommit(classifier.classify(sql))).as(sql).isFalse();
            }
        }
    }
}
