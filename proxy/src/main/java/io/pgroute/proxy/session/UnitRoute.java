package io.pgroute.proxy.session;

import io.pgroute.protocol.FrontendType;
import io.pgroute.protocol.PgFrame;
import io.pgroute.proxy.sql.Hint;
import io.pgroute.proxy.sql.StatementInfo;

import java.util.Deque;

/**
 * Whether the request unit at the head of a session's queue may run on a replica: a simple Query, or the
 * extended-protocol messages up to Sync (or Flush), judged by the statements it parses and binds. A unit is a read
 * only when every statement in it is safe on a hot standby (or carries the replica hint) and none says primary.
 */
record UnitRoute(boolean read, boolean statementless) {

    UnitRoute(boolean read) {
        this(read, false);
    }

    /** Units longer than this are not inspected further: primary. */
    private static final int MAX_INSPECTED = 1024;

    /** The verdict, or null when the unit's end has not arrived yet. */
    static UnitRoute of(Deque<PgFrame> waiting, PreparedStatements statements, SessionRouting routing) {
        boolean read = true;
        boolean statement = false;
        int inspected = 0;
        for (PgFrame each : waiting) {
            FrontendType type = FrontendType.of(each.type());
            if (type == null || ++inspected > MAX_INSPECTED || each.isPiece()) {
                // a message coming in pieces (a Bind with a big parameter) goes on before the unit is complete,
                // and cannot be sent again elsewhere: primary
                return new UnitRoute(false);
            }
            switch (type) {
                case QUERY -> {
                    return new UnitRoute(isRead(routing, each.cString(0)));
                }
                case PARSE -> {
                    statement = true;
                    read &= isRead(routing, each.cString(1));
                }
                case BIND -> {
                    statement = true;
                    PreparedStatements.Statement bound = statements.get(each.cString(1));
                    if (bound != null) {
                        read &= isRead(routing, bound.sql());
                    }
                }
                case DESCRIBE, EXECUTE, CLOSE -> {
                    // judged by the statements they refer to
                }
                case SYNC, FLUSH -> {
                    // no statement of its own (a Sync after COPY data, an Execute of a portal bound before a
                    // Flush): it belongs with the connection that ran the messages before it
                    return new UnitRoute(read, !statement);
                }
                default -> {
                    return new UnitRoute(false);  // FunctionCall, COPY data outside COPY: primary
                }
            }
        }
        return null;
    }

    private static boolean isRead(SessionRouting routing, String sql) {
        StatementInfo info = routing.classify(sql);
        if (info.hint() == Hint.PRIMARY || ClientSession.isUnreplayable(info) || routing.isKnownWrite(sql)) {
            return false;
        }
        return info.readOnly() || info.hint() == Hint.REPLICA;
    }

    /** The SQL text of a Query or Parse frame. */
    static String statementText(PgFrame frame, FrontendType type) {
        return frame.cString(type == FrontendType.PARSE ? 1 : 0);
    }

    /** The statement name a Bind frame binds. */
    static String boundName(PgFrame frame) {
        return frame.cString(1);
    }
}
