package io.pgroute.proxy.session;

import io.pgroute.protocol.FrontendType;
import io.pgroute.protocol.PgFrame;
import io.pgroute.protocol.codec.FrameDecoder;
import io.pgroute.proxy.sql.Hint;
import io.pgroute.proxy.sql.StatementInfo;

import java.util.Deque;

/**
 * Whether the request unit at the head of a session's queue may run on a replica: a simple Query, or the
 * extended-protocol messages up to Sync (or Flush), judged by the statements it parses and binds. A unit is a read
 * only when every statement in it is safe on a hot standby (or carries the replica hint) and none says primary.
 * {@code statement} is the unit's one statement, for {@code consistency: global}; null when it has several or one
 * pgroute does not know.
 */
record UnitRoute(boolean read, boolean statementless, StatementInfo statement) {

    UnitRoute(boolean read) {
        this(read, false, null);
    }

    /** Units longer than this are not inspected further: primary. */
    static final int MAX_INSPECTED = 1024;
    /**
     * A unit holding more bytes than this goes to the primary without waiting for its end (COMPAT E15): a session
     * holds little more of a request than this, whatever the size of a batch of Binds whose Sync comes later (pgjdbc
     * sends one only when the expected answers reach 64 kB, after any amount of parameter bytes). A single message
     * longer than this already goes on in pieces as it arrives.
     */
    static final long MAX_HELD_BYTES = FrameDecoder.STREAM_ABOVE;
    /**
     * A session holding more of its client's requests than this (frames, or bytes) that cannot be sent yet (the held
     * connection still owes answers, a replica read may be re-run, a lookup is out) stops reading from the client
     * until it holds less, as PostgreSQL stops reading a client it cannot answer: a client that sends without reading
     * cannot fill pgroute's memory. Above what a unit may hold waiting for its end, so that wait always ends first.
     */
    static final int MAX_QUEUED_FRAMES = 4 * MAX_INSPECTED;
    static final long MAX_QUEUED_BYTES = 2 * MAX_HELD_BYTES;

    /** The verdict, or null when the unit's end has not arrived yet. */
    static UnitRoute of(Deque<PgFrame> waiting, PreparedStatements statements, SessionRouting routing) {
        boolean read = true;
        boolean statement = false;
        StatementInfo only = null;
        String onlySql = null;
        boolean several = false;
        String parsedName = null;  // the statement the unit's latest Parse defines, which a Bind after it binds
        String parsedSql = null;
        int inspected = 0;
        long held = 0;
        for (PgFrame each : waiting) {
            FrontendType type = FrontendType.of(each.type());
            held += each.wireLength();
            if (type == null || ++inspected > MAX_INSPECTED || each.isPiece() || held > MAX_HELD_BYTES) {
                // a message coming in pieces (a Bind with a big parameter), or a unit too big to hold until its end,
                // goes on before the unit is complete, and cannot be sent again elsewhere: primary
                return new UnitRoute(false);
            }
            switch (type) {
                case QUERY -> {
                    StatementInfo info = routing.classify(each.cString(0));
                    return new UnitRoute(isRead(routing, info), false, info);
                }
                case PARSE, BIND -> {
                    statement = true;
                    String sql;
                    if (type == FrontendType.PARSE) {
                        sql = each.cString(1);
                        parsedName = each.cString(0);
                        parsedSql = sql;
                    } else {
                        String name = each.cString(1);
                        PreparedStatements.Statement bound = name.equals(parsedName) ? null : statements.get(name);
                        sql = bound != null ? bound.sql() : name.equals(parsedName) ? parsedSql : null;
                    }
                    if (sql == null) {
                        several = true;  // a statement pgroute does not know: the server will say
                        continue;
                    }
                    StatementInfo info = routing.classify(sql);
                    read &= isRead(routing, info);
                    if (only == null) {
                        only = info;
                        onlySql = sql;
                    } else if (!onlySql.equals(sql)) {
                        several = true;
                    }
                }
                case DESCRIBE, EXECUTE, CLOSE -> {
                    // judged by the statements they refer to
                }
                case SYNC, FLUSH -> {
                    // no statement of its own (a Sync after COPY data, an Execute of a portal bound before a
                    // Flush): it belongs with the connection that ran the messages before it
                    return new UnitRoute(read, !statement, several ? null : only);
                }
                default -> {
                    return new UnitRoute(false);  // FunctionCall, COPY data outside COPY: primary
                }
            }
        }
        return null;
    }

    private static boolean isRead(SessionRouting routing, StatementInfo info) {
        if (info.hint() == Hint.PRIMARY || SessionPins.isUnreplayable(info) || routing.isKnownWrite(info)) {
            return false;
        }
        return info.readOnly() || info.hint() == Hint.REPLICA;
    }

    /**
     * Whether the unit at the head of {@code waiting} has not arrived whole (no Sync, Flush, Query or FunctionCall
     * yet) and already holds more than {@link #MAX_HELD_BYTES} or {@link #MAX_INSPECTED} messages: it goes on before its end, which pgroute cannot wait
     * for, so whatever is judged from its messages sees only their beginning.
     */
    static boolean goesOnBeforeItsEnd(Deque<PgFrame> waiting) {
        long held = 0;
        int frames = 0;
        for (PgFrame each : waiting) {
            if (endsUnit(each)) {
                return false;
            }
            held += each.wireLength();
            if (held > MAX_HELD_BYTES || ++frames > MAX_INSPECTED) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code waiting} holds more than {@link #MAX_QUEUED_FRAMES} or {@link #MAX_QUEUED_BYTES}. */
    static boolean queuedTooMuch(Deque<PgFrame> waiting) {
        if (waiting.size() > MAX_QUEUED_FRAMES) {
            return true;
        }
        long held = 0;
        for (PgFrame each : waiting) {
            held += each.wireLength();
            if (held > MAX_QUEUED_BYTES) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code frame} ends a request unit: Sync, Flush, a simple Query or a FunctionCall. */
    static boolean endsUnit(PgFrame frame) {
        FrontendType type = FrontendType.of(frame.type());
        return type == FrontendType.SYNC || type == FrontendType.FLUSH || type == FrontendType.QUERY
                || type == FrontendType.FUNCTION_CALL;
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
