package io.pgroute.proxy.session;

import io.pgroute.protocol.SqlState;
import io.pgroute.protocol.backend.ErrorResponse;

/**
 * The settings replay on a newly leased connection (the SETs of the session that connection does not have yet, see
 * {@link io.pgroute.proxy.backend.SessionSettings#syncSql}), from the moment it is sent until its ReadyForQuery.
 * The client's request waits for it: a request sent behind a replay that failed would run without the session's
 * settings (without its {@code SET ROLE}, say: as the login user), so it is sent only once the replay succeeded.
 * Confined to the session's event loop.
 *
 * <pre>
 *   sent --error--> failed --ReadyForQuery--> FAILED: the request is answered with the error, not run;
 *                                             the connection is closed
 *   sent --cancel from the client--> cancelled (the cancel is kept from the server: it must not hit the replay)
 *        --ReadyForQuery--> CANCELLED: the request is answered 57014, not run (COMPAT X2)
 *   sent --ReadyForQuery--> DONE: the request is sent
 *   sent --connection lost--> lease another and replay there (COMPAT G10), at most MAX_LOST times in a row
 * </pre>
 */
final class SettingsReplay {

    /** Connections lost during a replay, one after the other, before the request is answered with an error. */
    static final int MAX_LOST = 3;

    /** What a finished replay means for the request waiting behind it. */
    enum Outcome { DONE, FAILED, CANCELLED }

    private boolean inFlight;
    private ErrorResponse failure;
    private boolean cancelled;
    private int lost;

    /** A replay was sent on the connection just leased. */
    void sent() {
        inFlight = true;
        failure = null;
        cancelled = false;
    }

    /** Whether a replay is waiting for its ReadyForQuery: nothing of the client's may be sent meanwhile. */
    boolean inFlight() {
        return inFlight;
    }

    /** The server answered the replay with {@code error}. */
    void onError(ErrorResponse error) {
        if (failure == null) {
            failure = error;
        }
    }

    /** The client cancelled its request while the replay ran. */
    void onCancel() {
        cancelled = true;
    }

    /** The replay's ReadyForQuery arrived. */
    Outcome finished() {
        inFlight = false;
        if (cancelled) {
            return Outcome.CANCELLED;
        }
        if (failure != null) {
            return Outcome.FAILED;
        }
        lost = 0;
        return Outcome.DONE;
    }

    /** Whether the server refused the replay that just {@link #finished}. */
    boolean refused() {
        return failure != null;
    }

    /** The connection was lost before the replay's ReadyForQuery: true to try another, false to give up. */
    boolean connectionLost() {
        inFlight = false;
        lost++;
        return lost < MAX_LOST;
    }

    /** The answer for a request that waited behind the replay that {@link #finished} FAILED. */
    ErrorResponse failureAnswer(String node) {
        ErrorResponse server = failure;
        return ErrorResponse.error(server.sqlState(), server.message())
                .withDetail("pgroute was restoring this session's settings on a connection to " + node
                        + " and the server refused them, so the statement was not run."
                        + (server.detail() == null ? "" : " " + server.detail()));
    }

    /** The answer for a request whose connections were all lost during the replay. */
    static ErrorResponse lostAnswer(String node) {
        return ErrorResponse.error(SqlState.CONNECTION_FAILURE, "server closed the connection unexpectedly")
                .withDetail("pgroute lost " + MAX_LOST + " connections to " + node
                        + " in a row while restoring this session's settings; the statement was not run.");
    }

    /** The answer for a request cancelled during the replay, as PostgreSQL words it. */
    static ErrorResponse cancelAnswer() {
        return ErrorResponse.error(SqlState.QUERY_CANCELED, "canceling statement due to user request");
    }
}
