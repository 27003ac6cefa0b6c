package io.pgroute.proxy.session;

import io.pgroute.protocol.FrontendType;
import io.pgroute.protocol.PgBuffers;
import io.pgroute.protocol.PgFrame;
import io.pgroute.protocol.frontend.Bind;
import io.pgroute.protocol.frontend.Describe;
import io.pgroute.protocol.frontend.Execute;
import io.pgroute.protocol.frontend.Parse;
import io.pgroute.protocol.frontend.Query;
import io.pgroute.proxy.cache.CacheKey;

import java.util.Arrays;
import java.util.Deque;
import java.util.Iterator;

/**
 * The request unit at the head of a session's queue, seen as a candidate for the result cache: a simple Query, or
 * one extended-protocol statement run to completion — {@code [Parse] Bind [Describe…] Execute(0 rows = all) Sync}
 * of a single statement, whose answer PostgreSQL gives in the same bytes every time. Anything else (several
 * Executes, a row limit, Close, Flush, a statement name already in use) is not a candidate.
 *
 * @param frames     how many queued messages the unit spans, Sync included
 * @param sql        the statement text
 * @param shape      simple or extended protocol
 * @param detail     the extended message sequence and declared parameter types, empty for a simple Query
 * @param values     Bind parameter values
 * @param formats    Bind parameter format codes
 * @param results    Bind result format codes
 * @param parse      the unit's Parse, if it has one: on a hit its statement is defined for the client as the
 *                   server would have
 */
record CacheUnit(int frames, String sql, CacheKey.Shape shape, String detail, byte[][] values, short[] formats,
                 short[] results, Parse parse) {

    /** No candidate: the unit is not complete yet ({@link #INCOMPLETE}) or cannot be cached ({@link #NONE}). */
    static final CacheUnit INCOMPLETE = new CacheUnit(0, null, null, null, null, null, null, null);
    static final CacheUnit NONE = new CacheUnit(0, null, null, null, null, null, null, null);

    /** Longest extended unit inspected. */
    private static final int MAX_FRAMES = 8;

    boolean candidate() {
        return sql != null;
    }

    /**
     * The statement texts the unit at the head of {@code waiting} runs, each once: a Query's text, and the statement
     * of each portal it executes (bound in the unit, to a statement parsed in the unit or before); or null until the
     * unit's end (Query, Sync or Flush) has arrived. A statement only parsed, bound or described runs nothing, so it
     * writes nothing (asyncpg and psycopg prepare in a unit of its own, pgjdbc describes): only an Execute counts.
     * A portal bound in an earlier unit (inside a transaction: its writes are begun at the commit) is not known here.
     */
    static java.util.List<String> statementTexts(Deque<PgFrame> waiting, PreparedStatements statements) {
        return statementTexts(waiting, statements, new TextScan());
    }

    /**
     * As {@link #statementTexts(Deque, PreparedStatements)}, going on from where {@code scan} stopped when the head
     * of the queue is the same: a long batch is asked again at each message until its Sync, and would otherwise be
     * read from its start each time (COMPAT E15).
     */
    static java.util.List<String> statementTexts(Deque<PgFrame> waiting, PreparedStatements statements,
                                                 TextScan scan) {
        try {
            return texts(waiting, statements, scan);
        } catch (RuntimeException malformed) {
            scan.reset(null);
            return java.util.List.of();  // the server answers a malformed message as PostgreSQL does
        }
    }

    /** How far a unit's texts were read: its first message, how many messages, and what they gave. */
    static final class TextScan {
        private PgFrame head;
        private int scanned;
        private final java.util.List<String> texts = new java.util.ArrayList<>(2);
        /** The texts in {@link #texts}, to list each once however often a batch executes it. */
        private final java.util.Set<String> listed = new java.util.HashSet<>(2);
        /** Statement name to text, for the statements parsed in the unit. */
        private final java.util.Map<String, String> parsedHere = new java.util.HashMap<>(2);
        /** Portal name to its statement's text (null: a statement the client never prepared), bound in the unit. */
        private final java.util.Map<String, String> portals = new java.util.HashMap<>(2);

        private void reset(PgFrame newHead) {
            head = newHead;
            scanned = 0;
            texts.clear();
            listed.clear();
            parsedHere.clear();
            portals.clear();
        }

        private void executed(String sql) {
            if (sql != null && listed.add(sql)) {
                texts.add(sql);
            }
        }
    }

    private static java.util.List<String> texts(Deque<PgFrame> waiting, PreparedStatements statements,
                                                TextScan scan) {
        PgFrame first = waiting.peekFirst();
        if (first != scan.head || waiting.size() < scan.scanned) {
            scan.reset(first);
        }
        Iterator<PgFrame> each = waiting.iterator();
        for (int i = 0; i < scan.scanned; i++) {
            each.next();
        }
        while (each.hasNext()) {
            PgFrame frame = each.next();
            scan.scanned++;
            FrontendType type = FrontendType.of(frame.type());
            if (type == null) {
                return done(scan);
            }
            switch (type) {
                case QUERY -> {
                    scan.executed(UnitRoute.statementText(frame, type));
                    return done(scan);
                }
                case PARSE -> scan.parsedHere.put(PgBuffers.readCString(frame.body().duplicate()),
                        UnitRoute.statementText(frame, type));
                case BIND -> {
                    String name = UnitRoute.boundName(frame);
                    String sql = scan.parsedHere.get(name);
                    if (sql == null) {
                        PreparedStatements.Statement bound = statements.get(name);
                        sql = bound == null ? null : bound.sql();
                    }
                    scan.portals.put(frame.cString(0), sql);
                }
                case EXECUTE -> scan.executed(scan.portals.get(PgBuffers.readCString(frame.body().duplicate())));
                case SYNC, FLUSH, FUNCTION_CALL -> {
                    return done(scan);
                }
                default -> {
                    if (type != FrontendType.DESCRIBE && type != FrontendType.CLOSE) {
                        return done(scan);  // COPY data and the like end what can be inspected
                    }
                }
            }
        }
        return null;
    }

    /** The unit's texts; the scan starts afresh next time (the unit will have been sent or answered). */
    private static java.util.List<String> done(TextScan scan) {
        java.util.List<String> result = java.util.List.copyOf(scan.texts);
        scan.reset(null);
        return result;
    }

    /**
     * Whether the unit at the head of {@code waiting} has a message coming in pieces (a Bind with a big parameter):
     * such a unit is sent before its end arrives, so its statements cannot all be read first.
     */
    static boolean comesInPieces(Deque<PgFrame> waiting) {
        for (PgFrame each : waiting) {
            if (each.isPiece()) {
                return true;
            }
            FrontendType type = FrontendType.of(each.type());
            if (type == null || type == FrontendType.QUERY || type == FrontendType.SYNC || type == FrontendType.FLUSH
                    || type == FrontendType.FUNCTION_CALL) {
                return false;
            }
        }
        return false;
    }

    /**
     * Whether the unit at the head of {@code waiting} has certainly not ended yet: at most {@link #MAX_FRAMES}
     * messages, each a whole Parse, Bind, Describe, Execute or Close. Neither {@link #of} nor {@link #statementTexts}
     * can conclude anything about such a unit, and a client's {@code Bind Execute Sync} arrives message by message:
     * without this check each of them would decode the unit from its start again.
     */
    static boolean awaitsItsEnd(Deque<PgFrame> waiting) {
        if (waiting.size() > MAX_FRAMES) {
            return false;
        }
        for (PgFrame each : waiting) {
            FrontendType type = FrontendType.of(each.type());
            if (each.isPiece() || type != FrontendType.PARSE && type != FrontendType.BIND
                    && type != FrontendType.DESCRIBE && type != FrontendType.EXECUTE && type != FrontendType.CLOSE) {
                return false;
            }
        }
        return true;
    }

    /** Inspects the unit at the head of {@code waiting}; {@link #INCOMPLETE} until its Sync has arrived. */
    static CacheUnit of(Deque<PgFrame> waiting, PreparedStatements statements) {
        try {
            return inspect(waiting, statements);
        } catch (RuntimeException malformed) {
            return NONE;  // not a candidate: the server answers a malformed message as PostgreSQL does
        }
    }

    private static CacheUnit inspect(Deque<PgFrame> waiting, PreparedStatements statements) {
        Iterator<PgFrame> each = waiting.iterator();
        if (!each.hasNext()) {
            return INCOMPLETE;
        }
        PgFrame first = each.next();
        FrontendType firstType = FrontendType.of(first.type());
        if (firstType == FrontendType.QUERY) {
            return new CacheUnit(1, first.decode(Query::decode).sql(), CacheKey.Shape.SIMPLE, "", new byte[0][],
                    new short[0], new short[0], null);
        }
        Parse parse = null;
        Bind bind = null;
        boolean executed = false;
        StringBuilder detail = new StringBuilder();
        PgFrame frame = first;
        for (int count = 1; count <= MAX_FRAMES; count++) {
            FrontendType type = FrontendType.of(frame.type());
            if (type == null || frame.isPiece()) {
                return NONE;  // a message coming in pieces is never looked up
            }
            switch (type) {
                case PARSE -> {
                    if (parse != null || bind != null) {
                        return NONE;
                    }
                    parse = frame.decode(Parse::decode);
                    if (!parse.name().isEmpty() && statements.get(parse.name()) != null) {
                        return NONE;  // 42P05: let the server path answer it
                    }
                    detail.append("P").append(Arrays.toString(parse.parameterTypes()));
                }
                case BIND -> {
                    if (bind != null) {
                        return NONE;
                    }
                    bind = frame.decode(Bind::decode);
                    if (parse == null) {
                        PreparedStatements.Statement known = statements.get(bind.statement());
                        if (known == null) {
                            return NONE;
                        }
                        detail.append("p").append(Arrays.toString(known.parameterTypes()));
                    } else if (!parse.name().equals(bind.statement())) {
                        return NONE;
                    }
                    detail.append("B");
                }
                case DESCRIBE -> {
                    Describe describe = frame.decode(Describe::decode);
                    boolean statement = describe.target() == Describe.STATEMENT;
                    String expected = statement ? (bind != null ? bind.statement() : parse == null ? null
                            : parse.name()) : bind == null ? null : bind.portal();
                    if (expected == null || !expected.equals(describe.name()) || executed) {
                        return NONE;
                    }
                    detail.append(statement ? "DS" : "DP");
                }
                case EXECUTE -> {
                    Execute execute = frame.decode(Execute::decode);
                    if (bind == null || executed || execute.maxRows() != 0 || !execute.portal().equals(bind.portal())) {
                        return NONE;
                    }
                    executed = true;
                    detail.append("E");
                }
                case SYNC -> {
                    if (!executed) {
                        return NONE;
                    }
                    String sql = parse != null ? parse.sql() : statements.get(bind.statement()).sql();
                    return new CacheUnit(count, sql, CacheKey.Shape.EXTENDED, detail.toString(),
                            bind.parameterValues(), bind.parameterFormats(), bind.resultFormats(), parse);
                }
                default -> {
                    return NONE;
                }
            }
            if (!each.hasNext()) {
                return INCOMPLETE;
            }
            frame = each.next();
        }
        return NONE;
    }
}
