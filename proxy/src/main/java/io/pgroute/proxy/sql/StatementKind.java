package io.pgroute.proxy.sql;

/**
 * What a statement is, as far as routing, pooling and caching care.
 *
 * <p>The kind says what the statement does; whether it may run on a hot standby is
 * {@link StatementInfo#readOnly()}, decided separately.
 */
public enum StatementKind {
    /** SELECT, VALUES, TABLE, EXPLAIN (without ANALYZE of a write). */
    READ,
    /** DML, DDL, TRUNCATE, SELECT INTO, LOCK, CALL, DO and anything else that changes the database. */
    WRITE,
    /** BEGIN, START TRANSACTION. */
    TRANSACTION_BEGIN,
    /** COMMIT, END, ROLLBACK, ABORT, PREPARE TRANSACTION, COMMIT PREPARED, ROLLBACK PREPARED. */
    TRANSACTION_END,
    /** SAVEPOINT, RELEASE [SAVEPOINT], ROLLBACK TO [SAVEPOINT]. */
    SAVEPOINT,
    /** SET, including SET LOCAL, SET TRANSACTION and SET SESSION CHARACTERISTICS. */
    SET,
    /** RESET. */
    RESET,
    /** SHOW. */
    SHOW,
    /** DISCARD. */
    DISCARD,
    /** LISTEN. */
    LISTEN,
    /** UNLISTEN. */
    UNLISTEN,
    /** NOTIFY. */
    NOTIFY,
    /** SQL-level PREPARE (not PREPARE TRANSACTION). */
    PREPARE,
    /** SQL-level EXECUTE. */
    EXECUTE,
    /** DEALLOCATE [PREPARE]. */
    DEALLOCATE,
    /** COPY … FROM. */
    COPY_IN,
    /** COPY … TO. */
    COPY_OUT,
    /** DECLARE, FETCH, MOVE, CLOSE. */
    CURSOR,
    /** VACUUM, ANALYZE, CHECKPOINT, CLUSTER, REINDEX, LOAD. */
    UTILITY,
    /** Nothing but whitespace, comments and semicolons. */
    EMPTY,
    /** Not understood. */
    UNKNOWN
}
