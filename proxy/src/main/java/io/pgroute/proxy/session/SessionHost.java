package io.pgroute.proxy.session;

import io.netty.channel.EventLoop;
import io.pgroute.proxy.backend.BackendConnection;

/**
 * What a session needs from the server around it: forwarding cancels and being told when it ends.
 */
public interface SessionHost {

    /** Sends a CancelRequest for whatever {@code backend} is running. */
    void cancel(EventLoop loop, BackendConnection backend);

    /** The session now keeps its primary connection while the state it left there lasts (temp table, LISTEN, …). */
    void onPinned(ClientSession session);

    /** Called once per session when it ends, whatever the reason. */
    void onSessionClosed(ClientSession session);

    /**
     * Whether {@code database} is paused (admin console {@code PAUSE}): then {@code resume} runs once it is resumed
     * (on whatever thread resumes it) and the caller holds its next statement until then. Default: never paused.
     */
    default boolean holdIfPaused(String database, Runnable resume) {
        return false;
    }

    /** {@code limits.max_prepared_bytes} now: what one client's prepared statements may hold. */
    default long maxPreparedBytes() {
        return io.pgroute.config.LimitsConfig.DEFAULT_MAX_PREPARED_BYTES;
    }

    /** {@code pool.prepare_simple_queries} now (see {@link StatementTranslator#prepareQueries}). Default: true. */
    default boolean prepareSimpleQueries() {
        return true;
    }

    /** {@code pool.defer_begin} now (see {@code ClientSession#defersBegin}). Default: true. */
    default boolean deferBegin() {
        return true;
    }

    /** {@code pool.idle_transaction_timeout} now: zero means none. Default: none. */
    default java.time.Duration idleTransactionTimeout() {
        return java.time.Duration.ZERO;
    }
}
