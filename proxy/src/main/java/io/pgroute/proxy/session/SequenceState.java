package io.pgroute.proxy.session;

import io.pgroute.protocol.FrontendType;
import io.pgroute.protocol.PgFrame;
import io.pgroute.proxy.backend.BackendConnection;
import io.pgroute.proxy.backend.BackendPool;

import java.util.Deque;

/**
 * {@code currval()} and {@code lastval()} answer from the server session, not the client's (COMPAT T10). In
 * transaction pooling an autocommit {@code INSERT} and the {@code SELECT currval(…)} after it may run on different
 * server connections, and the second would then return whatever another client's {@code nextval} left there: a
 * wrong id, silently. So a request that mentions them runs on the primary connection the session used last if
 * nobody has used it since; otherwise the connection's sequence state is discarded first ({@code DISCARD SEQUENCES})
 * and the client gets what a new PostgreSQL session gives, 55000 "currval of sequence … is not yet defined in this
 * session", never another client's value. Confined to the session's event loop.
 *
 * <p>Not covered: a later request of the same lease (in a transaction, or pipelined) that reads {@code currval} of
 * a sequence nothing in the lease advanced reads the connection's earlier state.
 */
final class SequenceState {

    /** The statement pgroute sends ahead of such a request on a connection that is not the session's own. */
    static final String DISCARD = "DISCARD SEQUENCES";

    private BackendConnection lastPrimary;
    private long lastPrimaryAttachments;

    /** The session gave {@code connection}, a primary connection, back for reuse. */
    void released(BackendConnection connection) {
        lastPrimary = connection;
        lastPrimaryAttachments = connection.attachments();
    }

    /**
     * The connection the session used last, taken from {@code pool} if nobody has used it since it was given back;
     * null when it is gone or was used by someone else.
     */
    BackendConnection ownConnection(BackendPool pool) {
        BackendConnection candidate = lastPrimary;
        lastPrimary = null;
        if (candidate == null || candidate.attachments() != lastPrimaryAttachments) {
            return null;
        }
        return pool.leaseIdle(candidate);
    }

    /**
     * Whether the request unit at the head of {@code waiting} (a Query, or messages up to Sync or Flush) mentions
     * {@code currval} or {@code lastval} anywhere in its text. A mention in a comment or a literal counts too: it
     * only costs a DISCARD SEQUENCES on a connection whose sequence state was not the session's anyway.
     */
    static boolean mentioned(Deque<PgFrame> waiting, PreparedStatements statements) {
        return mentioned(waiting, statements, SequenceState::mentions);
    }

    /** As {@link #mentioned(Deque, PreparedStatements)}, each text judged by {@code mentions}. */
    static boolean mentioned(Deque<PgFrame> waiting, PreparedStatements statements,
                             java.util.function.Predicate<String> mentions) {
        for (PgFrame each : waiting) {
            FrontendType type = FrontendType.of(each.type());
            if (type == null) {
                return false;
            }
            if (!each.startsMessage()) {
                continue;  // the rest of a message relayed in pieces
            }
            switch (type) {
                case QUERY -> {
                    return mentions.test(each.cString(0));
                }
                case PARSE -> {
                    if (mentions.test(each.cString(1))) {
                        return true;
                    }
                }
                case BIND -> {
                    PreparedStatements.Statement bound = statements.get(each.cString(1));
                    if (bound != null && mentions.test(bound.sql())) {
                        return true;
                    }
                }
                case SYNC, FLUSH -> {
                    return false;
                }
                default -> {
                    // Describe, Execute, Close: judged by the statements they refer to
                }
            }
        }
        return false;
    }

    /** Whether {@code sql} contains {@code currval} or {@code lastval}, in any case. */
    static boolean mentions(String sql) {
        int length = sql.length();
        for (int i = 4; i + 3 <= length; i++) {
            char c = sql.charAt(i);
            if ((c == 'v' || c == 'V') && (sql.regionMatches(true, i - 4, "currval", 0, 7)
                    || sql.regionMatches(true, i - 4, "lastval", 0, 7))) {
                return true;
            }
        }
        return false;
    }
}
