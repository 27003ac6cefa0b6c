package io.pgroute.proxy.session;

import io.pgroute.protocol.FrontendType;
import io.pgroute.protocol.PgFrame;
import io.pgroute.proxy.backend.BackendConnection;
import io.pgroute.proxy.backend.BackendPool;
import io.pgroute.proxy.sql.BuiltinFunctions;
import io.pgroute.proxy.sql.StatementInfo;
import io.pgroute.proxy.sql.StatementKind;
import io.pgroute.proxy.sql.Volatility;

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
 * <p>"Nobody has used it since" is not enough on its own: a connection the session took after another client used it
 * still holds that client's values, and the session's next requests there (an {@code UPDATE}, then {@code SELECT
 * currval(…)}) would read them. So the session trusts a connection's values only from a lease in which it ran
 * something that may advance a sequence ({@link #mayAdvance}: an INSERT, MERGE or COPY, {@code nextval} or
 * {@code DEFAULT}, a function pgroute does not know, DO, CALL, anything not understood), or on a connection that had
 * none (new, or just discarded), and for as long as nobody else uses it in between.
 *
 * <p>Not covered: after such a lease the connection may still hold another client's value of a sequence the session
 * did not advance there; {@code currval} of that sequence reads it.
 */
final class SequenceState {

    /** The statement pgroute sends ahead of such a request on a connection that is not the session's own. */
    static final String DISCARD = "DISCARD SEQUENCES";

    private static final BuiltinFunctions BUILTIN = new BuiltinFunctions();

    private BackendConnection lastPrimary;
    private long lastPrimaryAttachments;
    /** Whether {@link #lastPrimary}'s values were the session's when it gave it back. */
    private boolean lastTrusted;
    /** Whether the primary connection the session holds now has only the session's values (see the class). */
    private boolean trusted;
    /**
     * Verdicts of {@link #mayAdvance} for the session's last statement shapes: pgbench's endless texts of a few shapes
     * are read once, not once per statement (four passes over the text each: 5 % of pgroute's user time under
     * {@code pgbench -S}, 2 % under TPC-B's seven shapes while only one was kept).
     */
    private final io.pgroute.proxy.sql.ShapeMemo<Boolean> judged = new io.pgroute.proxy.sql.ShapeMemo<>();

    /**
     * The session attached {@code connection}, a primary connection; {@code discarding}: its sequence state is
     * discarded before anything of the session runs there.
     */
    void attached(BackendConnection connection, boolean discarding) {
        boolean continued = connection == lastPrimary && connection.attachments() == lastPrimaryAttachments + 1;
        trusted = discarding || connection.attachments() == 1 || continued && lastTrusted;
    }

    /** A statement ran on the primary connection the session holds. */
    void ran(StatementInfo statement, String sql) {
        if (trusted) {
            return;
        }
        trusted = advances(statement, sql);
    }

    /** {@link #mayAdvance} of {@code statement}, judged by its shape once among the session's last shapes. */
    private boolean advances(StatementInfo statement, String sql) {
        if (statement.fingerprint() == null) {
            return mayAdvance(statement, sql);  // judged by its text, which another text of it may not share
        }
        return judged.get(statement, each -> mayAdvance(each, each.fingerprint()));
    }

    /** The session gave {@code connection}, a primary connection, back for reuse. */
    void released(BackendConnection connection) {
        lastPrimary = connection;
        lastPrimaryAttachments = connection.attachments();
        lastTrusted = trusted;
    }

    /**
     * The connection the session used last, taken from {@code pool} if its values were the session's and nobody has
     * used it since it was given back; null otherwise.
     */
    BackendConnection ownConnection(BackendPool pool) {
        BackendConnection candidate = lastPrimary;
        if (candidate == null || !lastTrusted || candidate.attachments() != lastPrimaryAttachments) {
            return null;
        }
        return pool.leaseIdle(candidate);
    }

    /**
     * Whether {@code statement} may call {@code nextval}: it inserts (INSERT, MERGE, COPY … FROM), names
     * {@code nextval} or {@code DEFAULT} (a column's default is often one), calls a function pgroute does not know
     * (which may insert), or is a DO, a CALL or not understood. {@code text} is the statement's shape (literals and
     * comments gone: a word there calls nothing) or, where it has none, its text, in which a mention in a comment or a
     * literal counts too: it only trusts values the session may have made itself.
     */
    static boolean mayAdvance(StatementInfo statement, String text) {
        StatementKind kind = statement.kind();
        if (kind == StatementKind.UNKNOWN || kind == StatementKind.COPY_IN || kind == StatementKind.EXECUTE
                || kind == StatementKind.WRITE && !statement.tablesComplete() && statement.tablesWritten().isEmpty()) {
            return true;
        }
        for (String each : statement.functions()) {
            if (BUILTIN.volatility(each) == Volatility.UNKNOWN) {
                return true;
            }
        }
        return containsWord(text, "insert") || containsWord(text, "merge") || containsWord(text, "nextval")
                || containsWord(text, "default");
    }

    /** Whether {@code sql} contains {@code word} (lower case) in any case. */
    private static boolean containsWord(String sql, String word) {
        int last = sql.length() - word.length();
        char first = word.charAt(0);
        for (int i = 0; i <= last; i++) {
            char c = sql.charAt(i);
            if ((c == first || c == Character.toUpperCase(first)) && sql.regionMatches(true, i, word, 0,
                    word.length())) {
                return true;
            }
        }
        return false;
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
