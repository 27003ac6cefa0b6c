package io.pgroute.protocol.auth;

import io.pgroute.protocol.SqlState;

/**
 * A failed SCRAM exchange: a wrong password ({@value SqlState#INVALID_PASSWORD}) or a malformed or inconsistent
 * message ({@value SqlState#PROTOCOL_VIOLATION}). {@link #sqlState()} tells which to send the client.
 */
public final class ScramException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String sqlState;

    private ScramException(String sqlState, String message) {
        super(message);
        this.sqlState = sqlState;
    }

    static ScramException invalidProof(String message) {
        return new ScramException(SqlState.INVALID_PASSWORD, message);
    }

    static ScramException malformed(String message) {
        return new ScramException(SqlState.PROTOCOL_VIOLATION, message);
    }

    public String sqlState() {
        return sqlState;
    }

    /** Whether the password (or the server's proof of it) was wrong, as opposed to a malformed message. */
    public boolean isInvalidProof() {
        return SqlState.INVALID_PASSWORD.equals(sqlState);
    }
}
