package io.pgroute.proxy.metrics;

/**
 * Where sessions report what they ran: one call per request cycle answered (by a server or from the cache) and per
 * error sent to a client. Implementations are thread-safe and quick; sessions call them on their event loop.
 */
public interface QueryRecorder {

    /** Who answered a request cycle. */
    enum Route {
        PRIMARY, REPLICA, CACHE;

        /** The label value: {@code primary}, {@code replica} or {@code cache}. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Records nothing. */
    QueryRecorder NONE = new QueryRecorder() {
        @Override
        public void query(String database, Route route, long nanos) {
        }

        @Override
        public void error(String sqlState) {
        }
    };

    /** A request cycle of {@code database} answered by {@code route}, {@code nanos} after it was sent. */
    void query(String database, Route route, long nanos);

    /** An ErrorResponse with {@code sqlState} went to a client. */
    void error(String sqlState);

    /**
     * The request cycle that ran {@code sql} (its first statement; {@code fingerprint} is its shape, see
     * {@code StatementInfo#fingerprint}) was answered by {@code route} because of {@code reason}, {@code nanos}
     * after it was sent. Default: nothing.
     */
    default void statement(String database, String fingerprint, String sql, Route route, String reason,
                           long nanos) {
    }

    /** A session's settings were replayed on a server connection before its request. Default: nothing. */
    default void settingsReplayed() {
    }

    /**
     * A client's unnamed statement ran as a server statement prepared earlier under its pgroute name: its Parse was
     * answered by pgroute, and the server did not parse and plan it again. Default: nothing.
     */
    default void parseSkipped() {
    }

    /**
     * A client's login ended: {@code sqlState} null when it was let in, else the SQLSTATE of the FATAL it got
     * (28P01 wrong password, 28000 refused, 53300 too many connections, …). Default: nothing.
     */
    default void login(String sqlState) {
    }

    /** Both recorders, in order. */
    static QueryRecorder both(QueryRecorder first, QueryRecorder second) {
        return new QueryRecorder() {
            @Override
            public void query(String database, Route route, long nanos) {
                first.query(database, route, nanos);
                second.query(database, route, nanos);
            }

            @Override
            public void error(String sqlState) {
                first.error(sqlState);
                second.error(sqlState);
            }

            @Override
            public void settingsReplayed() {
                first.settingsReplayed();
                second.settingsReplayed();
            }

            @Override
            public void login(String sqlState) {
                first.login(sqlState);
                second.login(sqlState);
            }

            @Override
            public void parseSkipped() {
                first.parseSkipped();
                second.parseSkipped();
            }

            @Override
            public void statement(String database, String fingerprint, String sql, Route route, String reason,
                                  long nanos) {
                first.statement(database, fingerprint, sql, route, reason, nanos);
                second.statement(database, fingerprint, sql, route, reason, nanos);
            }
        };
    }
}
