package io.pgroute.proxy.error;

/**
 * A failure with a SQLSTATE that a client should see as it is (wrong password, unknown database, pool timeout…).
 */
public final class PgrouteException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String sqlState;

    public PgrouteException(String sqlState, String message) {
        super(message);
        this.sqlState = sqlState;
    }

    public PgrouteException(String sqlState, String message, Throwable cause) {
        super(message, cause);
        this.sqlState = sqlState;
    }

    public String sqlState() {
        return sqlState;
    }
}
