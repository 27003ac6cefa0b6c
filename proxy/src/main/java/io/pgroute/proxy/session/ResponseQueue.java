package io.pgroute.proxy.session;

import io.pgroute.protocol.BackendMessage;
import io.pgroute.protocol.BackendType;
import io.pgroute.protocol.PgFrame;
import io.pgroute.proxy.sql.ParameterizedQuery;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The responses a session expects from its backend connection, one entry per request message sent, in order
 * (STYLE rule 18). An entry is either relayed to the client, swallowed (a message pgroute injected, e.g. a Parse
 * to prepare a statement on this connection, or a settings sync), or answered by pgroute itself (a synthetic
 * ParseComplete/CloseComplete emitted when it reaches the head, so the client sees responses in order).
 *
 * <pre>
 *   backend frame --> head entry decides: relay | swallow; terminal type pops the entry
 *   ErrorResponse in an extended batch --> pops everything up to (not including) the next Sync, as PostgreSQL skips;
 *                                          no Sync queued yet --> messages sent until it get no entry
 * </pre>
 */
final class ResponseQueue {

    /** What a request message gets back, and which response types end it. */
    enum Kind { PARSE, BIND, DESCRIBE_STATEMENT, DESCRIBE_PORTAL, EXECUTE, CLOSE, SYNC, QUERY, FUNCTION_CALL }

    /**
     * One expected response. {@code swallow}: pgroute sent the request itself, so successful answers are dropped.
     * {@code synthetic}: answered by pgroute, emitted when it reaches the head. {@code preparedName} and
     * {@code clientName}: the statement a Parse creates, forgotten again if it fails. {@code errorInstead}: the
     * error the client sees in place of the server's. {@code query}: a message pgroute sends in place of the
     * client's simple Query of that text (see {@link #quiet}). {@code begins}: a message of the BEGIN pgroute sends
     * in front of the client's first request of a transaction it answered BEGIN for (see {@link #beginning}).
     * {@code checking}: a Parse that only has the server judge the client's statement (see {@link #checking}).
     */
    record Entry(Kind kind, boolean swallow, BackendMessage synthetic, String preparedName, String clientName,
                 BackendMessage errorInstead, int copyEnds, ParameterizedQuery query, boolean begins,
                 boolean checking) {

        Entry(Kind kind, boolean swallow, BackendMessage synthetic, String preparedName, String clientName,
              BackendMessage errorInstead) {
            this(kind, swallow, synthetic, preparedName, clientName, errorInstead, 0, null, false, false);
        }

        Entry(Kind kind, boolean swallow, BackendMessage synthetic, String preparedName) {
            this(kind, swallow, synthetic, preparedName, null, null);
        }

        /** This entry, stamped with how many CopyDone/CopyFail the client had sent before its message. */
        Entry afterCopyEnds(int count) {
            return new Entry(kind, swallow, synthetic, preparedName, clientName, errorInstead, count, query, begins,
                    checking);
        }

        /**
         * A message pgroute sends to run the client's simple Query {@code query} as a prepared statement (Parse,
         * Bind, Describe of the portal, Execute): what a Query would not answer (ParseComplete, BindComplete,
         * NoData) is dropped, the rest (RowDescription, rows, errors, notices) is the client's.
         * {@code preparedName}: the statement a Parse creates.
         */
        static Entry quiet(Kind kind, String preparedName, ParameterizedQuery query) {
            return new Entry(kind, false, null, preparedName, null, null, 0, query, false, false);
        }

        /**
         * A message of the BEGIN pgroute sends (Parse, Bind, Execute, without a Sync) in front of the first request of
         * a transaction whose BEGIN it answered itself: its answers are dropped, the client had them from pgroute, but
         * an error is the client's: the server then skips the client's request up to its Sync, so nothing of it runs
         * outside the transaction the client asked for.
         */
        static Entry beginning(Kind kind) {
            return new Entry(kind, true, null, null, null, null, 0, null, true, false);
        }

        /** A client Parse creating {@code preparedName} on the server for the client's {@code clientName}. */
        static Entry parse(String preparedName, String clientName) {
            return new Entry(Kind.PARSE, false, null, preparedName, clientName, null);
        }

        /**
         * A client Parse of {@code clientName}, a statement the connection has already as {@code preparedName}, sent
         * unnamed only so that the server judges it (in a transaction that may have failed, where it refuses all but
         * COMMIT and ROLLBACK with 25P02): its answer is the client's; should it fail, the client does not have the
         * statement, while the connection keeps its own.
         */
        static Entry checking(String preparedName, String clientName) {
            return new Entry(Kind.PARSE, false, null, preparedName, clientName, null, 0, null, false, true);
        }

        /**
         * An injected message that fails on purpose, so the server skips to Sync and rolls back the implicit
         * transaction as it would after a real error; the client sees {@code error} instead of the server's.
         */
        static Entry failing(Kind kind, BackendMessage error) {
            return new Entry(kind, true, null, null, null, error);
        }

        /** A client Bind of the server statement {@code statementName} (pgroute's name). */
        static Entry bind(String statementName) {
            return new Entry(Kind.BIND, false, null, statementName);
        }

        /** A client message relayed as it is: the same entry each time (entries are values), nothing allocated. */
        static Entry relay(Kind kind) {
            return RELAYED[kind.ordinal()];
        }

        static Entry injected(Kind kind) {
            return INJECTED[kind.ordinal()];
        }

        /** A Close pgroute sends of its own statement {@code preparedName}: if skipped, the server keeps it. */
        static Entry closing(String preparedName) {
            return new Entry(Kind.CLOSE, true, null, preparedName);
        }

        private static final Entry[] RELAYED = each(false);
        private static final Entry[] INJECTED = each(true);

        private static Entry[] each(boolean swallow) {
            Kind[] kinds = Kind.values();
            Entry[] result = new Entry[kinds.length];
            for (Kind kind : kinds) {
                result[kind.ordinal()] = new Entry(kind, swallow, null, null);
            }
            return result;
        }

        static Entry answered(BackendMessage message) {
            return new Entry(null, false, message, null);
        }
    }

    /** What to do with one backend frame. */
    enum Disposition { RELAY, SWALLOW }

    /** Receives what the queue decides besides the frame's own disposition. */
    interface Events {
        /** A synthetic answer reached the head: send it to the client now. */
        void emit(BackendMessage message);

        /** A Parse failed: the backend (and the client) do not have this statement after all. */
        void parseFailed(String preparedName, String clientName);

        /**
         * A {@link Entry#checking} Parse failed (or was skipped): the client does not have its statement after all,
         * the backend still has {@code preparedName}.
         */
        void checkFailed(String preparedName, String clientName);

        /** A Parse of a pgroute-named statement succeeded. */
        void parsed(String preparedName);

        /**
         * A Close of pgroute's statement {@code preparedName} was skipped (an error earlier in its batch): the server
         * still has the statement, whatever pgroute recorded when it sent the Close.
         */
        default void closeSkipped(String preparedName) {
        }

        /**
         * A Sync the client sent will not be answered (the server ignored it during COPY): the cycle it ended goes
         * on until the client's next Sync, which {@code nextAlreadySent} says has been sent already.
         */
        default void syncIgnored(boolean nextAlreadySent) {
        }
    }

    private final Deque<Entry> entries = new ArrayDeque<>(4);  // small: a per-client cost, grows when pipelined
    private final Events events;
    private int cycles;
    /**
     * An error in an extended batch came back before the batch's Sync was sent: the server ignores every message
     * until that Sync, so what is sent meanwhile gets no entry (it would never be answered, and the Sync's
     * ReadyForQuery would end the wrong entry).
     */
    private boolean skippingToSync;
    /** CopyDone and CopyFail messages the client has sent (see {@link #onCopyIn}). */
    private int copyEndsSent;
    /**
     * An entry just ended with the frame being handled: pgroute's own answers queued after it go out once that frame
     * has ({@link #drainAfterFrame}), never before it (COMPAT E12).
     */
    private boolean drainPending;
    /** See {@link #takeSkippedQueries}. */
    private int skippedQueries;

    ResponseQueue(Events events) {
        this.events = events;
    }

    void add(Entry entry) {
        if (skippingToSync) {
            if (entry.kind() != Kind.SYNC) {
                parseFailed(entry);  // ignored, so never prepared
                return;  // pgroute's own answers too: PostgreSQL would not give them after the error
            }
            skippingToSync = false;
        }
        if (entry.synthetic() != null && entries.isEmpty() && !drainPending) {
            events.emit(entry.synthetic());
            return;
        }
        entries.addLast(copyEndsSent == 0 ? entry : entry.afterCopyEnds(copyEndsSent));
        if (entry.kind() == Kind.SYNC || entry.kind() == Kind.QUERY || entry.kind() == Kind.FUNCTION_CALL) {
            cycles++;
        }
    }

    /** The client sent CopyDone or CopyFail (see {@link #onCopyIn}). */
    void copyEndSent() {
        copyEndsSent++;
    }

    /**
     * An extended-protocol COPY FROM STDIN started: CopyInResponse to the Execute at the head. PostgreSQL ignores
     * Sync during copy-in, so a Sync the client sent after that Execute and before its next CopyDone or CopyFail is
     * never answered (libpq's PQexecParams and postgres.js send one with the Execute, and another after CopyDone;
     * COMPAT C2): its entry goes.
     */
    private void onCopyIn(Entry execute) {
        int ignored = 0;
        boolean later = false;
        java.util.Iterator<Entry> each = entries.iterator();
        each.next();  // the Execute
        while (each.hasNext()) {
            Entry entry = each.next();
            if (entry.copyEnds() != execute.copyEnds()) {
                later |= entry.kind() == Kind.SYNC;  // sent after the copy's end
            } else if (entry.kind() == Kind.SYNC) {
                each.remove();
                cycles--;
                ignored++;
            }
        }
        for (int i = 0; i < ignored; i++) {
            events.syncIgnored(later);
        }
    }

    /** The connection is gone: nothing more will be answered. */
    void clear() {
        entries.clear();
        cycles = 0;
        skippingToSync = false;
        drainPending = false;
        skippedQueries = 0;
    }

    /**
     * The frame last given to {@link #onFrame} has gone to the client (or been dropped): pgroute's own answers that
     * now stand at the head follow it.
     */
    void drainAfterFrame() {
        if (drainPending) {
            drainPending = false;
            drainSynthetic();
        }
    }

    boolean isEmpty() {
        return entries.isEmpty();
    }

    /** Request cycles (Query, Sync, FunctionCall) still waiting for their ReadyForQuery. */
    int pendingCycles() {
        return cycles;
    }

    /** The pgroute statement the Bind at the head binds, or null when the head is something else. */
    String headBoundStatement() {
        Entry head = firstReal();
        return head != null && head.kind() == Kind.BIND ? head.preparedName() : null;
    }

    /**
     * The simple Query the message at the head runs as a prepared statement (see {@link Entry#quiet}), or null: an
     * error's position is in its text, not the client's.
     */
    ParameterizedQuery headQuery() {
        Entry head = firstReal();
        return head == null ? null : head.query();
    }

    /**
     * Whether the message now at the head was injected by pgroute (its ReadyForQuery and errors are not the client's);
     * the BEGIN in front of a transaction's first request is not (see {@link Entry#beginning}).
     */
    boolean headIsInjected() {
        Entry head = firstReal();
        return head != null && head.swallow() && !head.begins();
    }

    /** Whether the answer at the head is to a statement of the client's (not one pgroute sent, a BEGIN included). */
    boolean headIsClients() {
        Entry head = firstReal();
        return head != null && !head.swallow();
    }

    /**
     * Simple Queries and FunctionCalls the server skipped, looking for a Sync after an error in front of them in the
     * same batch (the BEGIN pgroute sent ahead of a Query), since last asked: each needs a Sync sent for it, whose
     * ReadyForQuery is its answer.
     */
    int takeSkippedQueries() {
        int result = skippedQueries;
        skippedQueries = 0;
        return result;
    }

    /**
     * Whether the server refused a message because the transaction had failed (25P02): then it is also what
     * PostgreSQL would have answered the client's message, before looking at what pgroute refuses it for (a name the
     * client holds already, too many statements), so the client gets it instead of pgroute's error.
     */
    private static boolean refusedForFailedTransaction(PgFrame error) {
        try {
            return "25P02".equals(error.decode(io.pgroute.protocol.backend.ErrorResponse::decode).sqlState());
        } catch (RuntimeException malformed) {
            return false;
        }
    }

    /** Decides what happens to {@code frame} and advances the queue. */
    Disposition onFrame(PgFrame frame) {
        BackendType type = BackendType.of(frame.type());
        Entry head = firstReal();
        if (type == null || head == null) {
            return Disposition.RELAY;
        }
        switch (type) {
            case NOTICE_RESPONSE, PARAMETER_STATUS -> {
                return head.swallow() ? Disposition.SWALLOW : Disposition.RELAY;
            }
            case NOTIFICATION_RESPONSE -> {
                return Disposition.RELAY;
            }
            case ERROR_RESPONSE -> {
                return onError(head, frame);
            }
            case READY_FOR_QUERY -> {
                pop();
                cycles--;
                drainPending = true;
                return head.swallow() ? Disposition.SWALLOW : Disposition.RELAY;
            }
            default -> {
                if (type == BackendType.COPY_IN_RESPONSE && head.kind() == Kind.EXECUTE) {
                    onCopyIn(head);
                }
                if (ends(head.kind(), type)) {
                    if (head.kind() == Kind.PARSE && head.preparedName() != null) {
                        events.parsed(head.preparedName());
                    }
                    pop();
                    drainPending = true;
                }
                if (head.query() != null && (type == BackendType.PARSE_COMPLETE || type == BackendType.BIND_COMPLETE
                        || type == BackendType.NO_DATA)) {
                    return Disposition.SWALLOW;  // a simple Query has no such answers
                }
                return head.swallow() ? Disposition.SWALLOW : Disposition.RELAY;
            }
        }
    }

    private Disposition onError(Entry head, PgFrame error) {
        if (head.kind() == Kind.QUERY || head.kind() == Kind.FUNCTION_CALL || head.kind() == Kind.SYNC) {
            // the cycle ends at its ReadyForQuery; an injected settings sync's error is not the client's
            return head.swallow() ? Disposition.SWALLOW : Disposition.RELAY;
        }
        parseFailed(head);
        Disposition result = Disposition.RELAY;
        if (head.errorInstead() != null && !refusedForFailedTransaction(error)) {
            events.emit(head.errorInstead());
            result = Disposition.SWALLOW;
        }
        // PostgreSQL now ignores every message up to Sync: their answers never come
        entries.pollFirst();
        List<String> stillPrepared = null;
        while (!entries.isEmpty() && entries.peekFirst().kind() != Kind.SYNC) {
            Entry skipped = entries.pollFirst();
            if (skipped.kind() == Kind.QUERY || skipped.kind() == Kind.FUNCTION_CALL) {
                cycles--;  // never answered: it ends with the ReadyForQuery of a Sync sent for it
                skippedQueries++;
            }
            parseFailed(skipped);  // skipped by the server, so never prepared (an injected Parse included)
            if (skipped.kind() == Kind.CLOSE && skipped.preparedName() != null) {
                stillPrepared = stillPrepared == null ? new ArrayList<>(2) : stillPrepared;
                stillPrepared.add(skipped.preparedName());
            }
        }
        if (stillPrepared != null) {
            // after the skipped Parses: a stale statement's Close and its new Parse were both skipped, and the
            // server has the old one (COMPAT V7)
            stillPrepared.forEach(events::closeSkipped);
        }
        skippingToSync = entries.isEmpty();  // the batch's Sync has not been sent yet
        return result;
    }

    /** Tells who must forget a statement when {@code entry}, a Parse that creates one, failed or was skipped. */
    private void parseFailed(Entry entry) {
        if (entry.kind() != Kind.PARSE || entry.preparedName() == null) {
            return;
        }
        if (entry.checking()) {
            events.checkFailed(entry.preparedName(), entry.clientName());
        } else {
            events.parseFailed(entry.preparedName(), entry.clientName());
        }
    }

    private static boolean ends(Kind kind, BackendType type) {
        return switch (kind) {
            case PARSE -> type == BackendType.PARSE_COMPLETE;
            case BIND -> type == BackendType.BIND_COMPLETE;
            case CLOSE -> type == BackendType.CLOSE_COMPLETE;
            case DESCRIBE_STATEMENT, DESCRIBE_PORTAL -> type == BackendType.ROW_DESCRIPTION
                    || type == BackendType.NO_DATA;
            case EXECUTE -> type == BackendType.COMMAND_COMPLETE || type == BackendType.EMPTY_QUERY_RESPONSE
                    || type == BackendType.PORTAL_SUSPENDED;
            case SYNC, QUERY, FUNCTION_CALL -> false;
        };
    }

    private Entry firstReal() {
        return entries.peekFirst();
    }

    private void pop() {
        entries.pollFirst();
    }

    private void drainSynthetic() {
        while (!entries.isEmpty() && entries.peekFirst().synthetic() != null) {
            events.emit(entries.pollFirst().synthetic());
        }
    }
}
