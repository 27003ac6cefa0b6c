package io.pgroute.proxy.session;

import io.pgroute.proxy.metrics.QueryRecorder;
import io.pgroute.proxy.sql.StatementInfo;

import java.util.ArrayDeque;

/**
 * The request cycles of one session that are in flight (sent to a backend, their ReadyForQuery not yet relayed),
 * oldest first: when each was sent, why it went where it went, and its first statement. When a cycle's
 * ReadyForQuery reaches the client, its time goes to the {@link QueryRecorder}. Confined to the session's event
 * loop.
 */
final class CycleLog {

    private static final class Cycle {
        private final long startNanos;
        private final String reason;
        private String sql;
        private String fingerprint;

        private Cycle(long startNanos, String reason) {
            this.startNanos = startNanos;
            this.reason = reason;
        }
    }

    private final String database;
    private final QueryRecorder recorder;
    private final ArrayDeque<Cycle> inFlight = new ArrayDeque<>(8);

    CycleLog(String database, QueryRecorder recorder) {
        this.database = database;
        this.recorder = recorder;
    }

    /** A cycle went to a backend at {@code nanos} ({@link System#nanoTime}) because of {@code reason}. */
    void sent(long nanos, String reason) {
        inFlight.addLast(new Cycle(nanos, reason));
    }

    /** The first statement the newest cycle runs; later ones in the same cycle are not recorded. */
    void statement(String sql, StatementInfo statement) {
        Cycle newest = inFlight.peekLast();
        if (newest != null && newest.sql == null) {
            newest.sql = sql;
            newest.fingerprint = statement.fingerprint();
        }
    }

    /** The oldest cycle's ReadyForQuery went to the client; {@code route} answered it. */
    void answered(QueryRecorder.Route route) {
        Cycle oldest = inFlight.pollFirst();
        if (oldest == null) {
            return;
        }
        long nanos = System.nanoTime() - oldest.startNanos;
        recorder.query(database, route, nanos);
        if (oldest.sql != null) {
            recorder.statement(database, oldest.fingerprint, oldest.sql, route, oldest.reason, nanos);
        }
    }

    /** The newest cycle in flight is part of the one before it (a Sync the server ignored during COPY). */
    void dropNewest() {
        if (inFlight.size() > 1) {
            inFlight.pollLast();
        }
    }

    /** Forgets every cycle in flight (the unit is sent again elsewhere and logs a new cycle). */
    void clear() {
        inFlight.clear();
    }
}
