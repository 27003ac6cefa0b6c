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
}
