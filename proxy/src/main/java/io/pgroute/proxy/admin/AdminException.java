package io.pgroute.proxy.admin;

/**
 * A console statement failed in a way the client should see as an ERROR with this SQLSTATE (and hint, if any);
 * the console goes on serving.
 */
final class AdminException extends RuntimeException {

    /** object_not_in_prerequisite_state, not among the protocol module's constants. */
    static final String NOT_IN_PREREQUISITE_STATE = "55000";

    private final String sqlState;
    private final String hint;

    AdminException(String sqlState, String message) {
        this(sqlState, message, null);
    }

    AdminException(String sqlState, String message, String hint) {
        super(message, null, false, false);
        this.sqlState = sqlState;
        this.hint = hint;
    }

    String sqlState() {
        return sqlState;
    }

    /** The hint, or null. */
    String hint() {
        return hint;
    }
}
