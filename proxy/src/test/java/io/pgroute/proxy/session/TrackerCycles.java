package io.pgroute.proxy.session;

import io.pgroute.proxy.sql.Classifier;

/**
 * Drives a {@link SettingsTracker} the way {@link ClientSession} does, one request cycle at a time: the statements of
 * a text are sent, the server runs them until one fails, and the cycle ends with a ReadyForQuery.
 */
final class TrackerCycles {

    private final Classifier classifier;
    private final SettingsTracker tracker;
    /** The transaction failed: its COMMIT answers ROLLBACK. */
    private boolean failedTransaction;

    TrackerCycles(Classifier classifier, SettingsTracker tracker) {
        this.classifier = classifier;
        this.tracker = tracker;
    }

    /**
     * Sends one cycle made of {@code sql}; the server runs its statements until the one numbered {@code failing}
     * (from 0; -1: none), which fails, and ends it with ReadyForQuery {@code status}. COMMIT answers ROLLBACK when
     * {@code status} after it is 'I' and the transaction it ends had failed, as PostgreSQL's does. Returns what the
     * tracker's {@link SettingsTracker#onReadyForQuery} does.
     */
    boolean cycle(String sql, int failing, char status) {
        tracker.onStatement(classifier.classify(sql));
        tracker.endCycle();
        String[] parts = sql.split(";");
        for (int i = 0; i < parts.length; i++) {
            if (i == failing) {
                tracker.onError();
                break;
            }
            tracker.onStatementDone();
            String part = parts[i].trim().toUpperCase();
            if (part.startsWith("ROLLBACK") && !part.contains(" TO ")) {
                tracker.onCommandComplete("ROLLBACK");
            } else if (part.startsWith("COMMIT")) {
                tracker.onCommandComplete(failedTransaction ? "ROLLBACK" : "COMMIT");
            }
        }
        failedTransaction = failing >= 0 && status == 'E';
        return tracker.onReadyForQuery((byte) status);
    }
}
