package io.pgroute.proxy.session;

import io.pgroute.protocol.backend.DataRow;
import io.pgroute.protocol.frontend.Query;

import java.nio.charset.StandardCharsets;

/**
 * Asks the server connection a session is pinned to whether it still holds a session advisory lock, after the
 * session ran a statement that may have left it none: a {@code pg_try_advisory_lock} that returned false, or a
 * {@code pg_advisory_unlock} of its last lock (COMPAT T7). pgroute cannot tell from the statement, so it asks
 * {@code pg_locks} once the session is idle, with nothing else on that connection; at idle no transaction-level
 * lock is held, so any advisory lock of the connection's process is a session lock. If there is none, the pins of
 * advisory locks sent before the question end.
 *
 * <pre>
 *   idle, pinned for locks, lock count uncertain --> start(): Query sent, its answer swallowed
 *   DataRow --> the count;  ErrorResponse --> unknown
 *   ReadyForQuery --> finish(): the Freeing to apply when the count was 0, else null (the session stays pinned)
 * </pre>
 *
 * Confined to the session's event loop.
 */
final class LockProbe {

    /** Advisory locks of this server process; at idle only session-level ones exist. */
    static final String SQL = "SELECT pg_catalog.count(*) FROM pg_catalog.pg_locks WHERE locktype = 'advisory' "
            + "AND pid = pg_catalog.pg_backend_pid()";

    /** The pins the answer may end: those sent before the question. Null when no question is out. */
    private SessionPins.Freeing asked;
    /** Locks counted; -1 until a row says. */
    private long count = -1;

    boolean inFlight() {
        return asked != null;
    }

    /** The question, to send now; {@code freeing} is what a count of 0 ends. */
    Query start(SessionPins.Freeing freeing) {
        asked = freeing;
        count = -1;
        return new Query(SQL);
    }

    void onDataRow(DataRow row) {
        byte[] value = row.values().length == 1 ? row.values()[0] : null;
        try {
            count = value == null ? -1 : Long.parseLong(new String(value, StandardCharsets.US_ASCII));
        } catch (NumberFormatException unexpected) {
            count = -1;
        }
    }

    void onError() {
        count = -1;
    }

    /** The answer is complete: what it ends (no lock left), or null. */
    SessionPins.Freeing finish() {
        SessionPins.Freeing result = count == 0 ? asked : null;
        asked = null;
        count = -1;
        return result;
    }
}
