package io.pgroute.config;

/** How long a client keeps a backend connection ({@code pool.mode}). */
public enum PoolMode {
    /** For one transaction (or one autocommit request unit); the default. */
    TRANSACTION,
    /** Until the client disconnects. */
    SESSION
}
