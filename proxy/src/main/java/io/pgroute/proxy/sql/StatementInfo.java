package io.pgroute.proxy.sql;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What the classifier learned about one SQL text (one simple-query string or one Parse).
 *
 * <p>{@code readOnly} is the routing verdict: true only when the text is known to be safe on a hot standby
 * and answers there as it would on the primary. Anything not understood is {@code readOnly = false}.
 * Names are normalized: unquoted identifiers lower-cased, quoted ones kept as written without quotes,
 * schema kept only when written ({@code public.t} stays {@code public.t}); {@code pg_catalog.} is dropped
 * from function names.
 *
 * @param kind                what the (deciding) statement is; for several statements see {@link #parts()}
 * @param readOnly            safe on a hot standby
 * @param cacheable           a read whose result depends only on table contents (all functions immutable,
 *                            no hint against caching); the cache still applies its own table rules
 * @param tablesRead          relations read
 * @param tablesWritten       relations written (DML targets, writable CTE targets, SELECT INTO, DDL targets)
 * @param tablesComplete      false when the written/read relations cannot be known (parse failure, DO, CALL,
 *                            most DDL): a cache must then invalidate the whole database
 * @param functions           every function called, normalized
 * @param lockingClause       FOR UPDATE / SHARE / NO KEY UPDATE / KEY SHARE at any nesting level
 * @param hint                routing hint from the leading comments
 * @param noCache             {@code nocache} hint present
 * @param cacheTtl            {@code cache ttl=…} hint
 * @param transactionReadOnly BEGIN / START TRANSACTION / SET TRANSACTION … READ ONLY, not serializable
 * @param isolation           isolation level named by BEGIN / START TRANSACTION / SET TRANSACTION
 * @param setting             what SET / RESET changes
 * @param target              channel (LISTEN/UNLISTEN/NOTIFY), statement (PREPARE/EXECUTE/DEALLOCATE),
 *                            cursor (DECLARE/FETCH/MOVE/CLOSE), parameter (SHOW), savepoint name, library (LOAD)
 * @param pinsSession         leaves state that cannot move to another connection (temp table, LISTEN,
 *                            session advisory lock, WITH HOLD cursor, SQL PREPARE)
 * @param createsTemporary    creates a temporary table (or other temporary object) that outlives its transaction:
 *                            state that pins the session, and that a rollback of its transaction drops again
 * @param removes             drops an object (DROP …) or closes one cursor (CLOSE name): it may end the last temporary
 *                            object or held cursor of its session, which only the server can tell
 * @param multiStatement      more than one non-empty statement
 * @param parsed              every statement that needed JSqlParser was parsed by it
 * @param reason              short human reason for the verdict
 * @param parts               per-statement results when {@code multiStatement}, else empty
 * @param fingerprint         the text's shape, constants replaced by {@code ?} ({@link SqlScanner#fingerprint}):
 *                            what {@code SHOW ROUTES} groups by; shared by every text of the shape
 */
public record StatementInfo(
        StatementKind kind,
        boolean readOnly,
        boolean cacheable,
        Set<String> tablesRead,
        Set<String> tablesWritten,
        boolean tablesComplete,
        Set<String> functions,
        boolean lockingClause,
        Hint hint,
        boolean noCache,
        Optional<Duration> cacheTtl,
        boolean transactionReadOnly,
        Optional<IsolationLevel> isolation,
        Optional<SettingChange> setting,
        Optional<String> target,
        boolean pinsSession,
        boolean createsTemporary,
        boolean removes,
        boolean multiStatement,
        boolean parsed,
        String reason,
        List<StatementInfo> parts,
        String fingerprint) {

    /** Defensive copies, so an instance shared through the cache cannot be changed. */
    public StatementInfo {
        tablesRead = Set.copyOf(tablesRead);
        tablesWritten = Set.copyOf(tablesWritten);
        functions = Set.copyOf(functions);
        parts = List.copyOf(parts);
    }

    /** Whether it calls a function that takes a session-level advisory lock (which pins its session). */
    public boolean takesSessionLock() {
        for (String each : functions) {
            if (FunctionRules.pinsSession(each)) {
                return true;
            }
        }
        return false;
    }

    /** This classification for a text of shape {@code shape}. */
    StatementInfo withFingerprint(String shape) {
        return new StatementInfo(kind, readOnly, cacheable, tablesRead, tablesWritten, tablesComplete, functions,
                lockingClause, hint, noCache, cacheTtl, transactionReadOnly, isolation, setting, target, pinsSession,
                createsTemporary, removes, multiStatement, parsed, reason, parts, shape);
    }
}
