package io.pgroute.proxy.session;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import io.pgroute.proxy.cache.RedisCache;
import io.pgroute.proxy.cache.ResultCache;
import io.pgroute.proxy.cache.ResultCache.Invalidation;
import io.pgroute.proxy.cache.WriteSettler;
import io.pgroute.proxy.sql.StatementInfo;
import io.pgroute.proxy.sql.StatementKind;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;

/**
 * One session's writes as the result cache sees them (docs/cache.md, "Invalidation"). Confined to the session's
 * event loop.
 *
 * <pre>
 *   unit that may commit writes (autocommit write, COMMIT) --begin: versions bumped, tables in flux--> sent
 *   statements sent --> pending (what the transaction writes)
 *   ReadyForQuery 'I' --> settle, in the background: flux ends once the node monitor has a primary WAL position
 *                         past the commit, which becomes the tables' last-write watermark
 *   ReadyForQuery 'I' with pending writes never begun (a commit pgroute did not foresee) --> begun before the
 *                         client gets its ReadyForQuery, then settled
 * </pre>
 *
 * Beginning before the commit is what keeps a hit from ever being older than a commit any node already shows: from
 * then on no entry read before is valid, and no fill is stored while the commit may be visible somewhere but is not
 * yet settled.
 */
final class CacheWrites {

    private static final org.slf4j.Logger LOGGER = org.slf4j.LoggerFactory.getLogger(CacheWrites.class);

    /** How often the flux marks of a write still running are renewed. */
    private static final Duration KEEP_ALIVE = Duration.ofSeconds(3);

    private final ResultCache cache;
    private final RedisCache redis;
    private final String database;
    private final EventLoop loop;
    private final WriteSettler settler;
    /** The primary WAL position sampled after a time, once there is one; null: no replicas, no position needed. */
    private final LongFunction<OptionalLong> watermarkAfter;

    private Invalidation pending = Invalidation.NONE;
    private Invalidation begun = Invalidation.NONE;
    private boolean beginning;
    private boolean rolledBack;
    private boolean committed;
    /** A unit sent opened a transaction whose ReadyForQuery has not confirmed it yet (BEGIN pipelined ahead). */
    private boolean openedAhead;
    private ScheduledFuture<?> keepAlive;
    /**
     * Completes once the writes begun in this transaction can no longer be missed by a read on any instance (see
     * {@code NearCache}); the ReadyForQuery that acknowledges them waits for it. Null when nothing waits.
     */
    private CompletableFuture<Void> visible;

    CacheWrites(ResultCache cache, String database, EventLoop loop, LongFunction<OptionalLong> watermarkAfter) {
        this.cache = cache;
        this.redis = cache.redis();
        this.database = database;
        this.loop = loop;
        this.settler = cache.settler(loop, database);
        this.watermarkAfter = watermarkAfter;
    }

    /** A begin is in flight: nothing may be sent until Redis answered. */
    boolean beginning() {
        return beginning;
    }

    /** Writes of the current transaction that are not settled: no further request cycle may be pipelined. */
    boolean unsettled() {
        return beginning || !pending.isNone() || !begun.isNone();
    }

    /**
     * What must be begun before a unit with {@code statements} is sent while the transaction status is
     * {@code status}: nothing unless the unit may commit (an autocommit write, a COMMIT), else whatever the
     * transaction and the unit write that was not begun yet.
     */
    Invalidation toBegin(List<StatementInfo> statements, List<String> texts, byte status) {
        boolean begins = false;
        boolean commits = false;
        for (int i = 0; i < statements.size(); i++) {
            StatementInfo each = statements.get(i);
            for (StatementInfo part : each.parts().isEmpty() ? List.of(each) : each.parts()) {
                begins |= part.kind() == StatementKind.TRANSACTION_BEGIN;
                commits |= part.kind() == StatementKind.TRANSACTION_END && !isRollback(texts.get(i), part);
            }
        }
        boolean inTransaction = status != 'I' || openedAhead;
        if (commits) {
            openedAhead = false;
        } else if (begins) {
            openedAhead = true;
        }
        if (status == 'E' && onlyEndsTheTransaction(statements)) {
            // a failed transaction's COMMIT is answered ROLLBACK (COMPAT T2): it commits nothing, and its writes are
            // dropped at its end (onIdle). The status is exact here: a unit sent after pending writes waits for every
            // earlier answer (ClientSession's cache gate), and without pending writes nothing would be begun anyway.
            LOGGER.trace("unit {} ends a failed transaction: nothing to begin", texts);
            return Invalidation.NONE;
        }
        if (!commits && (inTransaction || begins)) {
            // what it writes is begun at the commit (onStatement keeps it): not worked out for every statement here
            LOGGER.trace("unit {} in transaction={} begins={}: nothing to begin before it", texts, inTransaction,
                    begins);
            return Invalidation.NONE;
        }
        Invalidation unit = Invalidation.NONE;
        for (StatementInfo each : statements) {
            unit = unit.plus(cache.invalidation(database, each));
        }
        LOGGER.trace("unit {} in transaction={} begins={} commits={} writes={}", texts, inTransaction, begins,
                commits, unit);
        return minus(pending.plus(unit), begun);
    }

    /**
     * What must be begun before the commit of a unit sent before its end arrived (too big to hold): what it and the
     * transaction wrote so far, as its statements ran, and was not begun yet.
     */
    Invalidation toBeginBeforeCommit() {
        return minus(pending, begun);
    }

    /**
     * What must be begun before a message of a unit sent before its end arrived whose statement pgroute cannot name
     * the tables of, or that may commit before the unit's end: it may write any table, so everything, now.
     */
    Invalidation toBeginAnything() {
        onUnknownWrite();
        return minus(pending, begun);
    }

    /** A unit of one statement, a transaction end (COMMIT, END, ROLLBACK, PREPARE TRANSACTION, …). */
    private static boolean onlyEndsTheTransaction(List<StatementInfo> statements) {
        if (statements.size() != 1) {
            return false;
        }
        StatementInfo only = statements.get(0);
        List<StatementInfo> parts = only.parts().isEmpty() ? List.of(only) : only.parts();
        return parts.size() == 1 && parts.get(0).kind() == StatementKind.TRANSACTION_END;
    }

    private static boolean isRollback(String text, StatementInfo part) {
        String reason = part.reason() == null ? "" : part.reason();
        if (reason.contains("two-phase")) {
            return false;
        }
        String lower = text.strip().toLowerCase(Locale.ROOT);
        return lower.startsWith("rollback") || lower.startsWith("abort");
    }

    /**
     * Bumps {@code invalidation} and puts its tables in flux; completes (never exceptionally) once Redis answered,
     * with what {@link #begun} needs.
     */
    CompletableFuture<RedisCache.WriteBegun> begin(Invalidation invalidation) {
        LOGGER.debug("write begins database={} tables={} pending={} begun={}", database,
                invalidation.everything() ? "*" : invalidation.tables(), pending, begun);
        beginning = true;
        begun = begun.plus(invalidation);
        if (keepAlive == null) {
            long period = KEEP_ALIVE.toMillis();
            keepAlive = loop.scheduleAtFixedRate(this::renew, period, period, TimeUnit.MILLISECONDS);
        }
        return redis.begin(database, invalidation.tables(), invalidation.everything());
    }

    /** Back on the event loop after {@link #begin} answered {@code result}. */
    void begun(RedisCache.WriteBegun result) {
        beginning = false;
        if (result == null || result.visible().isDone()) {
            return;
        }
        visible = visible == null ? result.visible() : CompletableFuture.allOf(visible, result.visible());
    }

    /**
     * What the ReadyForQuery ending the transaction must wait for before the client may see it: null when nothing
     * (no write begun, or its invalidation can no longer be missed anywhere). Taken once.
     */
    CompletableFuture<Void> takeVisible() {
        CompletableFuture<Void> result = visible;
        visible = null;
        return result == null || result.isDone() ? null : result;
    }

    private void renew() {
        if (!begun.isNone()) {
            redis.renewWrite(database, begun.tables(), begun.everything());
        }
    }

    /**
     * A ReadyForQuery of the client's with {@code status}; {@code lastCycle}: nothing else is in flight. A
     * transaction opened ahead is now either confirmed by the status or over.
     */
    void onReadyForQuery(byte status, boolean lastCycle) {
        if (status != 'I' || lastCycle) {
            openedAhead = false;
        }
    }

    /** A statement was sent to the primary: what it writes is invalidated when it commits. */
    void onStatement(StatementInfo statement) {
        Invalidation invalidation = cache.invalidation(database, statement);
        if (!invalidation.isNone()) {
            pending = pending.plus(invalidation);
            rolledBack = false;
        }
    }

    /** DDL of the session's has ended (committed or not): the relation catalog is read again. */
    void reloadCatalog() {
        cache.reloadCatalog(database);
    }

    /** A statement ran whose writes cannot be named (a read the safety net re-ran on the primary). */
    void onUnknownWrite() {
        pending = pending.plus(Invalidation.EVERYTHING);
        rolledBack = false;
    }

    /** A CommandComplete of the client's: a ROLLBACK (or a failed COMMIT) discards the transaction's writes. */
    void onCommandComplete(String tag) {
        if (tag.equals("ROLLBACK")) {
            rolledBack = true;
        } else if (tag.equals("COMMIT") || tag.startsWith("COMMIT ")) {
            committed = true;
        }
    }

    /**
     * The transaction is over (ReadyForQuery 'I'). Returns what committed without having been begun (then the
     * caller holds the ReadyForQuery, {@link #begin}s it and calls this again); otherwise settles everything begun
     * in the background and returns {@link Invalidation#NONE}.
     */
    Invalidation onIdle(long nanos) {
        boolean discarded = rolledBack && !committed;
        Invalidation missed = discarded ? Invalidation.NONE : minus(pending, begun);
        if (!missed.isNone()) {
            return missed;
        }
        Invalidation settling = begun;
        pending = Invalidation.NONE;
        begun = Invalidation.NONE;
        rolledBack = false;
        committed = false;
        stopKeepAlive();
        if (!settling.isNone()) {
            // the flux ends once the primary's WAL position past the commit is known, with other writes' settles
            settler.settle(settling.tables(), settling.everything(), discarded, nanos, watermarkAfter);
        }
        return Invalidation.NONE;
    }

    /**
     * The connection or session ended mid-transaction: whatever was begun stays in flux until its marks expire
     * (the write may still commit on the server); nothing pending was committed, as no commit was begun.
     */
    void abandon() {
        pending = Invalidation.NONE;
        begun = Invalidation.NONE;
        visible = null;
        stopKeepAlive();
    }

    private void stopKeepAlive() {
        if (keepAlive != null) {
            keepAlive.cancel(false);
            keepAlive = null;
        }
    }

    /** The tables of {@code from} not in {@code already} (nothing once the whole database was begun). */
    static Invalidation minus(Invalidation from, Invalidation already) {
        if (already.everything() || from.isNone()) {
            return Invalidation.NONE;
        }
        if (from.everything()) {
            return Invalidation.EVERYTHING;
        }
        if (already.tables().containsAll(from.tables())) {
            return Invalidation.NONE;  // the usual case at a commit: everything it wrote was begun
        }
        if (java.util.Collections.disjoint(from.tables(), already.tables())) {
            return from;
        }
        java.util.Set<String> rest = new java.util.LinkedHashSet<>(from.tables());
        rest.removeAll(already.tables());
        return rest.isEmpty() ? Invalidation.NONE : new Invalidation(rest, false);
    }
}
