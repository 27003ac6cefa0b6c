package io.pgroute.proxy.sql;

/** Transaction isolation level named in BEGIN, START TRANSACTION or SET TRANSACTION. */
public enum IsolationLevel {
    /** READ UNCOMMITTED (behaves as READ COMMITTED in PostgreSQL). */
    READ_UNCOMMITTED,
    /** READ COMMITTED. */
    READ_COMMITTED,
    /** REPEATABLE READ. */
    REPEATABLE_READ,
    /** SERIALIZABLE: refused on a hot standby (even READ ONLY), so always the primary. */
    SERIALIZABLE
}
