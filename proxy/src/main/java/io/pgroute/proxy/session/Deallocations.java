package io.pgroute.proxy.session;

import java.util.ArrayDeque;
import java.util.Map;

/**
 * The client's SQL {@code DEALLOCATE ALL}s in flight. PostgreSQL drops the session's statements where the
 * DEALLOCATE ALL stands in the stream, so pgroute forgets them when it sends it, not when the answer comes: a Parse
 * later in the same pipeline must reach the server and define its name afresh (COMPAT V9; PgBouncer #1535). A
 * DEALLOCATE ALL that fails (in an aborted transaction, or skipped after an earlier error) sends no CommandComplete:
 * at its cycle's ReadyForQuery what was forgotten comes back. Confined to the session's event loop.
 */
final class Deallocations {

    /** The cycle a DEALLOCATE ALL was sent in and what it made pgroute forget, client's and connection's. */
    record Mark(long cycle, Map<String, PreparedStatements.Statement> client, Map<String, Integer> server,
                io.pgroute.proxy.backend.PreparedOnServer connection) {
    }

    private final ArrayDeque<Mark> marks = new ArrayDeque<>(2);
    private long cyclesSent;
    private long cyclesAnswered;

    /** A request cycle (Query, Sync-ended unit, FunctionCall) started going to the server. */
    void cycleSent() {
        cyclesSent++;
    }

    /** A DEALLOCATE ALL went to the server in the current cycle; what it removes is removed now. */
    void sent(PreparedStatements client, io.pgroute.proxy.backend.PreparedOnServer connection) {
        marks.addLast(new Mark(cyclesSent, client.removeNamed(), connection.removeAll(), connection));
    }

    /** A DEALLOCATE ALL's CommandComplete: true when it was one pgroute saw being sent (else clear everything). */
    boolean done() {
        return marks.pollFirst() != null;
    }

    /** A cycle's ReadyForQuery: DEALLOCATE ALLs of it that did not complete failed, and forgot nothing. */
    void cycleAnswered(PreparedStatements client) {
        cyclesAnswered++;
        while (!marks.isEmpty() && marks.peekFirst().cycle() <= cyclesAnswered) {
            Mark failed = marks.pollFirst();
            client.restore(failed.client());
            failed.connection().restore(failed.server());
        }
    }

    /** The cycles in flight are dropped (a read re-run elsewhere is sent again, as new cycles). */
    void clear() {
        marks.clear();
        cyclesAnswered = cyclesSent;
    }
}
