package io.pgroute.proxy.session;

import io.netty.util.ReferenceCountUtil;
import io.pgroute.protocol.FrontendType;
import io.pgroute.protocol.PgFrame;
import io.pgroute.protocol.backend.ErrorResponse;

import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;

/**
 * An autocommit read sent to a replica, kept until it is known not to need the primary: the client's request
 * messages (the same frames, retained, with their reader indices as they were before sending moved them) and the
 * answers so far, held back until the first row. If the replica refuses the statement as a standby would (25006,
 * "… during recovery", a recovery conflict) before any row, the answers are dropped and the request is run again on
 * the primary, so the client never notices the classifier's mistake. A lone autocommit read sent to the primary is
 * kept the same way, only so that a stale plan of a statement pgroute prepared by name for it can be hidden
 * ({@link #onPlanChanged}).
 */
final class ReplicaAttempt {

    private final List<PgFrame> requests;
    /** Each request frame's {@linkplain PgFrame#position() position} before it was sent. */
    private final long[] positions;
    private final List<Object> held = new ArrayList<>();
    private final String sql;
    private boolean holding = true;
    private boolean retry;
    /** The retry is for a statement pgroute prepared by name whose plan went stale, not for the primary. */
    private boolean planChanged;
    /** The retry is for a serializable transaction, which no standby runs (see {@link #refusesSerializable}). */
    private boolean refusedSerializable;
    /**
     * A read sent to the primary, kept only so that a stale plan of its unnamed statement can be hidden
     * ({@link #onPlanChanged}): nothing else makes it run again.
     */
    private final boolean onPrimary;

    private ReplicaAttempt(List<PgFrame> requests, long[] positions, String sql, boolean onPrimary) {
        this.requests = requests;
        this.positions = positions;
        this.sql = sql;
        this.onPrimary = onPrimary;
    }

    /**
     * Captures the unit at the head of {@code waiting} (a Query, or messages up to Sync); null when the unit cannot
     * be retried (it ends with Flush, or has no statement text). The frames are kept, not copied: sending them moves
     * their reader indices, which {@link #requeue} puts back.
     */
    static ReplicaAttempt capture(Deque<PgFrame> waiting, PreparedStatements statements) {
        return capture(waiting, statements, false);
    }

    /** {@link #capture(Deque, PreparedStatements)}, of a read sent to the primary when {@code onPrimary}. */
    static ReplicaAttempt capture(Deque<PgFrame> waiting, PreparedStatements statements, boolean onPrimary) {
        List<PgFrame> frames = new ArrayList<>(waiting.size());
        long[] positions = new long[waiting.size()];
        String sql = null;
        Iterator<PgFrame> each = waiting.iterator();
        while (each.hasNext()) {
            PgFrame frame = each.next();
            FrontendType type = FrontendType.of(frame.type());
            if (type == FrontendType.FLUSH || type == null || frame.isRaw()) {
                return discard(frames);
            }
            positions[frames.size()] = frame.position();
            frames.add(frame.retain());
            if (sql == null && (type == FrontendType.QUERY || type == FrontendType.PARSE)) {
                sql = UnitRoute.statementText(frame, type);
            }
            if (sql == null && type == FrontendType.BIND) {
                PreparedStatements.Statement statement = statements.get(UnitRoute.boundName(frame));
                sql = statement == null ? null : statement.sql();
            }
            if (type == FrontendType.QUERY || type == FrontendType.SYNC) {
                return sql == null ? discard(frames) : new ReplicaAttempt(frames, positions, sql, onPrimary);
            }
        }
        return discard(frames);
    }

    private static ReplicaAttempt discard(List<PgFrame> frames) {
        frames.forEach(PgFrame::release);
        return null;
    }

    String sql() {
        return sql;
    }

    boolean holding() {
        return holding;
    }

    boolean retrying() {
        return retry;
    }

    /** Keeps an answer for the client (a frame whose ownership passes here, or a message). */
    void hold(Object message) {
        held.add(message);
    }

    /** An error from the replica: does it say "this needs the primary"? */
    void onError(ErrorResponse error) {
        if (holding && !onPrimary && needsPrimary(error)) {
            retry = true;
            refusedSerializable = refusesSerializable(error);
        }
    }

    /** Whether the retry is for the session's default isolation, serializable, not for the statement. */
    boolean refusedSerializable() {
        return refusedSerializable;
    }

    /** 0A000 "cannot use serializable mode in a hot standby": any statement of a serializable transaction. */
    static boolean refusesSerializable(ErrorResponse error) {
        return "0A000".equals(error.sqlState()) && error.message() != null
                && error.message().contains("serializable mode in a hot standby");
    }

    /**
     * The server refused a statement pgroute prepared by name for the client's unnamed one with 0A000 ("cached plan
     * must not change result type"): before any row, the request runs again, where it is routed, and the statement
     * is prepared anew there, in its table's new shape.
     */
    void onPlanChanged() {
        if (holding && !retry) {
            retry = true;
            planChanged = true;
        }
    }

    boolean planChanged() {
        return planChanged;
    }

    /** See {@link #capture(Deque, PreparedStatements, boolean)}. */
    boolean onPrimary() {
        return onPrimary;
    }

    static boolean needsPrimary(ErrorResponse error) {
        String state = error.sqlState();
        String message = error.message() == null ? "" : error.message();
        return "25006".equals(state)
                || state != null && state.startsWith("57P")  // the replica is shutting down or restarting
                || ("XX000".equals(state) || "0A000".equals(state))
                        && (message.contains("recovery") || message.contains("hot standby"))
                || "40001".equals(state) && message.contains("conflict with recovery");
    }

    /** The replica connection broke before any row: run the request elsewhere. */
    void onConnectionLost() {
        if (holding) {
            retry = true;
        }
    }

    /** A row (or COPY data) is coming: from here on the client gets everything as it arrives. */
    void release(ClientWriter client) {
        for (Object each : held) {
            client.write(each);
        }
        held.clear();
        holding = false;
    }

    /**
     * Puts the captured request messages back at the head of {@code waiting}, in order and as they were before they
     * were sent, and drops the rest.
     */
    void requeue(Deque<PgFrame> waiting) {
        for (int i = requests.size() - 1; i >= 0; i--) {
            PgFrame frame = requests.get(i);
            frame.rewind(positions[i]);
            waiting.addFirst(frame);
        }
        requests.clear();
        discard();
    }

    /** Drops what was held and what was captured. */
    void discard() {
        held.forEach(ReferenceCountUtil::release);
        held.clear();
        requests.forEach(PgFrame::release);
        requests.clear();
    }
}
