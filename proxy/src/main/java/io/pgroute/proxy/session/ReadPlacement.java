package io.pgroute.proxy.session;

import io.netty.channel.EventLoop;
import io.pgroute.protocol.PgFrame;
import io.pgroute.proxy.backend.BackendPool;
import io.pgroute.proxy.backend.BackendTarget;
import io.pgroute.proxy.cache.ResultCache.Invalidation;
import io.pgroute.proxy.routing.Lsn;
import io.pgroute.proxy.routing.WriteMarks;
import io.pgroute.proxy.sql.StatementInfo;

import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;

/**
 * Where a session's next request unit runs, and the read-your-writes state that decides it: when the session last
 * wrote (per table with {@code consistency: global}, for every session), that write's watermark once the node
 * monitor has sampled past it, and a one-shot "primary" for a read a replica refused. Confined to the session's
 * event loop.
 *
 * <pre>
 *   causal:  write acknowledged, or primary answered --> lastWrite = now, watermark unknown
 *            read --> watermark known? replica past it : primary
 *   global:  write acknowledged --> noted per table for every session (DatabaseRouting's WriteMarks)
 *            primary answered   --> shownByPrimary[tables it showed] = now (every table if not known)
 *            read of tables T   --> newest of writes[T] and shownByPrimary[T] (all tables if T not known):
 *                                   its watermark known? replica past it : primary
 *   window:  read within routing.window of the session's write? primary : replica
 *   eventual: any eligible replica
 *   replica answered (causal, global) --> stay on that replica until the monitor sampled it past the answer; then
 *                                 what it had received becomes the floor every other replica must reach (the
 *                                 primary's position, if the replica left, streams nothing, or the answers came
 *                                 from two replicas); that replica still takes the reads no other one can
 * </pre>
 *
 * <p>Monotonic reads without asking the replica: a replica's answer at time t shows at most what it had received at
 * t (a standby makes a commit visible while replaying its record, a moment before its replay position passes it, so
 * the replay position is not a bound), which is at most what a monitor sample of that replica (or the primary's
 * position) taken after t reports. Until such a sample exists (at most {@code routing.lag_interval}), the session's
 * reads stay on the replica that answered, which can only have moved forward since; a replica that is no longer
 * eligible sends them to the primary instead.
 */
final class ReadPlacement {

    /**
     * How many tables a session remembers the primary showed it, and statements of one cycle it keeps to work them
     * out, before it counts every table as shown.
     */
    private static final int SHOWN_TABLES = 64;
    /** Distinct write reaches a session keeps per transaction before folding them into one. */
    private static final int REACHES = 16;

    private final SessionRouting routing;
    private boolean wroteSinceIdle;
    /**
     * With {@code consistency: global}, what the writes since the session was last idle reach: each distinct reach
     * (a statement shape's is one instance) up to {@link #REACHES}, then their union; only
     * {@link Invalidation#EVERYTHING} once one reaches everything.
     */
    private final List<Invalidation> reaches = new ArrayList<>();
    /**
     * With {@code consistency: global}, the statements since the session was last idle (up to {@link #SHOWN_TABLES});
     * what they showed matters only if the cycle ran on the primary, so it is worked out then.
     */
    private final List<StatementInfo> sinceIdle = new ArrayList<>();
    private int statementsSinceIdle;
    /**
     * With {@code consistency: global}, when the primary last showed the session each table (monotonic reads per
     * table: a later read of it needs a replica past that time's watermark); null until the first such answer.
     */
    private WriteMarks shownByPrimary;
    private boolean forcePrimary;
    /** One-shot minimum replay position for the next unit (see {@link #requireOnce}). */
    private long requiredOnce;
    /** Why the last unit went where it went, for SHOW ROUTES. */
    private String reason = "read";
    /** What {@link #place} returned null for, besides an incomplete unit: the node monitor's fresh samples. */
    private CompletableFuture<Void> samplesAwaited;
    /** When the session's last write was acknowledged (System.nanoTime), 0 if never. */
    private long lastWriteNanos;
    /** The read-your-writes watermark of that write, once known. */
    private OptionalLong watermark = OptionalLong.empty();
    /** What the session has been shown was at least this new: its replica reads never go below it. */
    private long floor;
    /**
     * The replica of the session's last replica answer (at {@link #stickySinceNanos}). Until a monitor sample covers
     * that answer ({@link #stickyBound} unknown) the session's reads stay there; afterwards another replica must have
     * replayed {@link #stickyBound}, and this one, which only moves forward, takes them when none has. Null when every
     * answer the session saw is covered by {@link #floor}.
     */
    private BackendTarget stickyReplica;
    private long stickySinceNanos;
    /** What {@link #stickyReplica} could have shown by its answer, once a sample covers it; else Lsn.INVALID. */
    private long stickyBound = Lsn.INVALID;
    /** Uncovered answers came from more than one replica: only a primary sample covers them. */
    private boolean stickyPrimaryOnly;

    /** Whether the session's transactions are serializable by default, which no standby runs (COMPAT R2). */
    private final java.util.function.BooleanSupplier serializable;
    /** Whether the session commits asynchronously ({@code synchronous_commit} off: set and committed, or default). */
    private final java.util.function.BooleanSupplier asynchronousCommit;
    /** A {@code SET [LOCAL] synchronous_commit} to off since the session was last idle. */
    private boolean asynchronousUntilIdle;
    /**
     * The session ran a statement that names {@code synchronous_commit} in a way pgroute does not follow
     * ({@code set_config('synchronous_commit', …)}, a DO block): its commits may be asynchronous until a SET, RESET
     * or DISCARD of it that pgroute reads says what they are.
     */
    private boolean synchronousCommitUnknown;

    ReadPlacement(SessionRouting routing, java.util.function.BooleanSupplier serializable,
                  java.util.function.BooleanSupplier asynchronousCommit) {
        this.routing = routing;
        this.serializable = serializable;
        this.asynchronousCommit = asynchronousCommit;
    }

    /**
     * The next unit placed, if a read, needs a replica that replayed {@code lsn}: the last write of the tables it
     * reads, as the result cache knows it, so a read after anyone's acknowledged write sees it.
     */
    void requireOnce(long lsn) {
        requiredOnce = Math.max(requiredOnce, lsn);
    }

    /** The next unit placed runs on the primary, whatever it looks like (a replica refused it or is gone). */
    void forcePrimaryOnce() {
        forcePrimary = true;
    }

    /**
     * The session was shown a cached answer as new as WAL position {@code lsn}: from now on its replica reads need
     * a replica that replayed that far (monotonic reads), else they go to the primary.
     */
    void raiseFloor(long lsn) {
        floor = Math.max(floor, lsn);
    }

    /**
     * {@code replica} answered the session (a ReadyForQuery) at {@code nanos}: with monotonic reads, no later read may
     * show less than it did.
     */
    void onReplicaAnswer(BackendTarget replica, long nanos) {
        if (!routing.monotonicReads()) {
            return;
        }
        if (stickyReplica != null && !stickyReplica.equals(replica)) {
            coverStickyAnswer();
            if (stickyReplica != null && stickyBound != Lsn.INVALID) {
                raiseFloor(stickyBound);  // the session left it: every replica needs what it showed
            } else {
                // still uncovered: only a primary sample after the newer answer covers both replicas' answers
                stickyPrimaryOnly = stickyReplica != null;
            }
        }
        stickyReplica = replica;
        stickySinceNanos = nanos;
        stickyBound = Lsn.INVALID;
    }

    /** Bounds what the sticky replica's answer showed once the monitor sampled past it (see {@link #stickyBound}). */
    private void coverStickyAnswer() {
        if (stickyReplica == null || stickyBound != Lsn.INVALID) {
            return;
        }
        if (stickyPrimaryOnly) {
            // answers from two replicas: the primary's position after the newer one covers both
            long bound = routing.primaryBound(stickySinceNanos);
            if (bound != Lsn.INVALID) {
                raiseFloor(bound);
                stickyReplica = null;
                stickyPrimaryOnly = false;
            }
            return;
        }
        // the replica's own sample after the answer bounds it (the primary's, always ahead while writes go on, so
        // that no replica would qualify until sampled again, only when the replica left or streams nothing)
        stickyBound = routing.stickyBound(stickyReplica, stickySinceNanos);
    }

    /**
     * A statement the session sent, {@code sql} its text: a possible write makes the next reads wait for its
     * watermark.
     */
    void onStatement(StatementInfo statement, String sql) {
        boolean global = routing.globalReads();
        asynchronousUntilIdle |= turnsSynchronousCommitOff(statement);
        if (namesSynchronousCommitUnseen(statement, sql)) {
            asynchronousUntilIdle = true;
            synchronousCommitUnknown = true;
        } else if (synchronousCommitUnknown && settlesSynchronousCommit(statement)) {
            synchronousCommitUnknown = false;
        }
        if (changesData(statement) || routing.readsWritingView(statement)) {
            wroteSinceIdle = true;
            noteIfAsynchronous();
            if (global && !reachesEverything()) {
                noteReach(routing.writeReach(statement));
            }
        }
        if (global && routing.monotonicReads()) {
            if (statementsSinceIdle++ < SHOWN_TABLES) {
                sinceIdle.add(statement);
            }
        }
    }

    /** A {@code SET [LOCAL] synchronous_commit} to off, alone or among the statements of a query. */
    static boolean turnsSynchronousCommitOff(StatementInfo statement) {
        if (statement.multiStatement()) {
            for (StatementInfo each : statement.parts()) {
                if (turnsSynchronousCommitOff(each)) {
                    return true;
                }
            }
            return false;
        }
        return statement.kind() == io.pgroute.proxy.sql.StatementKind.SET && statement.setting()
                .filter(change -> change.name().equals("synchronous_commit") && SettingDefault.isOff(change.value()))
                .isPresent();
    }

    /**
     * Whether {@code sql} names {@code synchronous_commit} other than in a SET or RESET pgroute reads: a
     * {@code set_config('synchronous_commit', 'off', …)} or a DO block that sets it may make the session's commits
     * asynchronous, which pgroute cannot tell from the statement's shape. (A function's own {@code SET} clause ends
     * with the call, before the commit; a function that runs {@code SET} as dynamic SQL is not seen.)
     */
    static boolean namesSynchronousCommitUnseen(StatementInfo statement, String sql) {
        io.pgroute.proxy.sql.StatementKind kind = statement.kind();
        boolean mayChangeSettings = statement.multiStatement() || statement.functions().contains("set_config")
                || statement.pinsSession() || !statement.parsed() || kind == io.pgroute.proxy.sql.StatementKind.UNKNOWN;
        // only those are read (every statement runs through here: no copy of its text)
        return mayChangeSettings && sql != null && containsIgnoringCase(sql, SYNCHRONOUS_COMMIT)
                && (statement.multiStatement() || kind != io.pgroute.proxy.sql.StatementKind.SET
                && kind != io.pgroute.proxy.sql.StatementKind.RESET && kind != io.pgroute.proxy.sql.StatementKind.SHOW);
    }

    private static final String SYNCHRONOUS_COMMIT = "synchronous_commit";

    private static boolean containsIgnoringCase(String text, String lowerCaseWord) {
        int last = text.length() - lowerCaseWord.length();
        char first = lowerCaseWord.charAt(0);
        for (int i = 0; i <= last; i++) {
            char c = text.charAt(i);
            if ((c == first || Character.toLowerCase(c) == first)
                    && text.regionMatches(true, i, lowerCaseWord, 0, lowerCaseWord.length())) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether {@code statement} leaves {@code synchronous_commit} as the session's tracked settings say: a session-level
     * SET or RESET of it, RESET ALL, DISCARD ALL.
     */
    static boolean settlesSynchronousCommit(StatementInfo statement) {
        return switch (statement.kind()) {
            case SET, RESET -> !statement.multiStatement() && statement.setting().filter(change -> !change.local()
                    && (change.name().equals("synchronous_commit") || change.name().equals("all"))).isPresent();
            case DISCARD -> statement.target().filter("all"::equalsIgnoreCase).isPresent();
            default -> false;
        };
    }

    /** The session's write may commit asynchronously: see {@link SessionRouting#noteAsynchronousCommit}. */
    private void noteIfAsynchronous() {
        if (asynchronousUntilIdle || synchronousCommitUnknown || asynchronousCommit.getAsBoolean()) {
            routing.noteAsynchronousCommit();
        }
    }

    /** Whether a write since the session was last idle reached everything. */
    private boolean reachesEverything() {
        return reaches.size() == 1 && reaches.get(0).everything();
    }

    /**
     * Adds {@code reach} to {@link #reaches} unless the same one is there (a statement shape's reach is one instance);
     * beyond {@link #REACHES} entries they are folded into their union, so a long transaction stays bounded.
     */
    private void noteReach(Invalidation reach) {
        if (reach.isNone()) {
            return;
        }
        if (reach.everything()) {
            reaches.clear();
            reaches.add(reach);
            return;
        }
        for (Invalidation each : reaches) {
            if (each == reach) {
                return;
            }
        }
        if (reaches.size() < REACHES) {
            reaches.add(reach);
            return;
        }
        Invalidation union = reach;
        for (Invalidation each : reaches) {
            union = union.plus(each);
        }
        reaches.clear();
        reaches.add(union);
    }

    /**
     * ReadyForQuery said idle: whatever the session wrote is now committed (or rolled back). {@code onPrimary}: the
     * cycle ran on the primary; with monotonic reads what it showed counts like a write, so the next replica read
     * waits for the monitor to sample past it.
     */
    void onIdle(boolean onPrimary) {
        if (wroteSinceIdle) {
            noteIfAsynchronous();  // before its watermark is asked for: the commit may not be written yet
        }
        asynchronousUntilIdle = false;
        if (routing.globalReads()) {
            onIdleGlobal(onPrimary);
            return;
        }
        if (wroteSinceIdle || (onPrimary && routing.monotonicReads())) {
            long now = System.nanoTime();
            if (wroteSinceIdle) {
                // noted for every table: after a reload to consistency: global, reads wait for it
                routing.wrote(Invalidation.EVERYTHING, now);
                reaches.clear();
            }
            wroteSinceIdle = false;
            lastWriteNanos = now;
            watermark = OptionalLong.empty();
        }
    }

    /**
     * {@code consistency: global}: the writes are noted per table for every session (this one included) before the
     * client hears of the commit; what the primary showed becomes a per-table floor for this session's later reads.
     * A cycle on the primary without any statement pgroute saw counts as showing every table.
     */
    private void onIdleGlobal(boolean onPrimary) {
        long now = System.nanoTime();
        if (wroteSinceIdle) {
            for (Invalidation each : reaches) {
                routing.wrote(each, now);  // EVERYTHING alone once a write reached everything
            }
        }
        if (wroteSinceIdle || onPrimary && routing.monotonicReads()) {
            lastWriteNanos = now;  // what causal and window would go by, should a reload switch to them
            watermark = OptionalLong.empty();
        }
        if (onPrimary && routing.monotonicReads()) {
            markShownSinceIdle(now);
        }
        wroteSinceIdle = false;
        reaches.clear();
        sinceIdle.clear();
        statementsSinceIdle = 0;
    }

    /**
     * Marks in {@link #shownByPrimary}, at {@code nanos}, the tables the statements since the session was last idle
     * may have shown it: every table when one of them cannot be tied to tables, when there were none pgroute saw, or
     * too many to keep.
     */
    private void markShownSinceIdle(long nanos) {
        boolean anything = statementsSinceIdle == 0 || statementsSinceIdle > SHOWN_TABLES;
        boolean some = false;
        for (int i = 0; i < sinceIdle.size() && !anything; i++) {
            List<String> keys = routing.shownKeys(sinceIdle.get(i));
            anything = keys == null;
            some |= !anything && !keys.isEmpty();
        }
        if (!anything && !some) {
            return;
        }
        if (shownByPrimary == null) {
            shownByPrimary = new WriteMarks(SHOWN_TABLES);
        }
        if (anything) {
            shownByPrimary.wroteAnything(nanos);
            return;
        }
        for (StatementInfo each : sinceIdle) {
            List<String> keys = routing.shownKeys(each);  // remembered: the lists just looked at
            if (keys == null) {
                shownByPrimary.wroteAnything(nanos);  // the relation catalog was reloaded meanwhile
                return;
            }
            shownByPrimary.wrote(keys, nanos);
        }
    }

    /**
     * The pool for the request unit at the head of {@code waiting}, or null while the unit is incomplete.
     * {@code held} is the pool of the connection the session holds, or null.
     */
    BackendPool place(EventLoop loop, Deque<PgFrame> waiting, PreparedStatements statements, BackendPool held) {
        if (forcePrimary) {
            forcePrimary = false;
            requiredOnce = 0;
            reason = "primary once (replica refused, unavailable, or a cached table in flux)";
            return routing.primaryPool(loop);
        }
        if (!routing.hasReplicas()) {
            requiredOnce = 0;
            reason = "no replicas";
            return routing.primaryPool(loop);
        }
        UnitRoute unit = UnitRoute.of(waiting, statements, routing);
        if (unit == null) {
            return null;  // what the unit requires once (requiredOnce) stays for when it is complete
        }
        long once = requiredOnce;
        requiredOnce = 0;
        if (unit.statementless() && held != null) {
            reason = "continues the request before it";
            return held;  // e.g. the Sync ending an extended-protocol COPY: the server waits for it (COMPAT C2)
        }
        if (!unit.read()) {
            reason = "write or primary-only";
            return routing.primaryPool(loop);
        }
        if (serializable.getAsBoolean()) {
            reason = "serializable by default (a standby refuses it)";
            return routing.primaryPool(loop);
        }
        CompletableFuture<Void> fresh = routing.freshSamples();
        if (fresh != null) {
            // the monitor slept (no such read for routing.lag_idle_after): placed once every node is sampled again
            requiredOnce = Math.max(requiredOnce, once);
            samplesAwaited = fresh;
            reason = "waits for fresh node samples";
            return null;
        }
        OptionalLong required = OptionalLong.empty();
        switch (routing.consistency()) {
            case CAUSAL -> {
                if (lastWriteNanos != 0) {
                    if (watermark.isEmpty()) {
                        watermark = routing.watermarkAfter(lastWriteNanos);
                    }
                    if (watermark.isEmpty()) {
                        reason = "read-your-writes";
                        return routing.primaryPool(loop);  // the monitor has not sampled past the write yet
                    }
                    required = watermark;
                }
            }
            case GLOBAL -> {
                if (routing.newestWrite() != 0 || shownByPrimary != null) {
                    List<String> keys = routing.readKeys(unit.statement());
                    long written = routing.newestWriteFor(keys);
                    long shownAt = shownByPrimary == null ? 0 : shownByPrimary.newestFor(keys);
                    long since = shownAt == 0 || written != 0 && written - shownAt > 0 ? written : shownAt;
                    if (since != 0) {
                        OptionalLong mark = routing.watermarkAfter(since);
                        if (mark.isEmpty()) {
                            // the monitor has not sampled past the write (or the primary's answer) yet
                            reason = since == written ? "read-your-writes" : "monotonic reads (after a primary read)";
                            return routing.primaryPool(loop);
                        }
                        required = mark;
                    }
                }
            }
            case WINDOW -> {
                if (lastWriteNanos != 0 && System.nanoTime() - lastWriteNanos < routing.windowNanos()) {
                    reason = "read-your-writes window";
                    return routing.primaryPool(loop);
                }
            }
            case EVENTUAL -> {
                // reads anywhere
            }
        }
        coverStickyAnswer();  // first: a sample past the last replica answer raises the floor used just below
        long minimum = Math.max(floor, once);
        if (minimum > 0 && (required.isEmpty() || required.getAsLong() < minimum)) {
            required = OptionalLong.of(minimum);
        }
        if (held != null && held != routing.primaryPool(loop)
                && routing.replicaPoolOf(loop, held.target(), required).isPresent()) {
            // a replica already held (pipelined units) serves the next read when it replayed all this one needs: what
            // the session was shown, what the result cache says the read's tables need, and others' writes (global)
            reason = "read";
            return held;
        }
        if (stickyReplica != null && stickyBound == Lsn.INVALID) {
            // an answer from there is not covered by a sample yet: that replica, or the primary (always newer)
            Optional<BackendPool> same = routing.replicaPoolOf(loop, stickyReplica, required);
            if (same.isPresent()) {
                reason = "read";
                return same.get();
            }
            reason = "monotonic reads (replica left, not sampled since)";
            return routing.primaryPool(loop);
        }
        OptionalLong elsewhere = required;
        if (stickyReplica != null && (elsewhere.isEmpty() || elsewhere.getAsLong() < stickyBound)) {
            elsewhere = OptionalLong.of(stickyBound);
        }
        Optional<BackendPool> replica = routing.replicaPool(loop, elsewhere);
        if (replica.isPresent()) {
            reason = "read";
            return replica.get();
        }
        if (stickyReplica != null) {
            Optional<BackendPool> same = routing.replicaPoolOf(loop, stickyReplica, required);
            if (same.isPresent()) {
                reason = "read";
                return same.get();
            }
        }
        reason = required.isPresent() ? "no replica caught up (lag or consistency)" : "no replica eligible";
        return routing.primaryPool(loop);
    }

    /**
     * When {@link #place} returned null to wait for the node monitor: what to wait for before placing again (taken:
     * null afterwards); else null, and the unit is incomplete.
     */
    CompletableFuture<Void> takeSamplesAwaited() {
        CompletableFuture<Void> result = samplesAwaited;
        samplesAwaited = null;
        return result;
    }

    /** Why the last unit placed went where it went. */
    String reason() {
        return reason;
    }

    /** Whether a statement may change data, so the session's next reads need its watermark. */
    static boolean changesData(StatementInfo statement) {
        if (statement.readOnly()) {
            return false;
        }
        return switch (statement.kind()) {
            case TRANSACTION_BEGIN, TRANSACTION_END, SAVEPOINT, SET, RESET, SHOW, DISCARD, LISTEN, UNLISTEN,
                    DEALLOCATE, EMPTY -> false;
            default -> true;
        };
    }
}
