package io.pgroute.proxy.admin;

/**
 * One statement of the admin console, as {@link AdminCommandParser} understood it.
 */
public sealed interface AdminCommand {

    /** An empty query string (only whitespace, comments or a semicolon): EmptyQueryResponse. */
    record Empty() implements AdminCommand {
    }

    /** {@code SHOW <topic>}. */
    record Show(Topic topic) implements AdminCommand {
    }

    /** {@code CACHE INVALIDATE ALL} ({@code table} null) or {@code CACHE INVALIDATE <table>}. */
    record InvalidateCache(String table) implements AdminCommand {

        public boolean all() {
            return table == null;
        }
    }

    /**
     * {@code EXPLAIN ROUTE [FOR <database>] <sql>}: where {@code sql} would go, without running it.
     *
     * @param database the database named after FOR (normalized like an identifier), or null for the first one
     * @param sql      everything after the keywords, verbatim but for surrounding whitespace and one trailing
     *                 semicolon
     */
    record ExplainRoute(String database, String sql) implements AdminCommand {
    }

    /** {@code KILL CLIENT <id>}. */
    record KillClient(long id) implements AdminCommand {
    }

    /** {@code RESET ROUTES}: forget the statistics of SHOW ROUTES. */
    record ResetRoutes() implements AdminCommand {
    }

    /** {@code RELOAD}: re-read proxy.yaml and apply what can be applied without a restart. */
    record Reload() implements AdminCommand {
    }

    /** {@code PAUSE [database]} ({@code database} null: all) or {@code RESUME [database]}. */
    record Pause(String database, boolean pause) implements AdminCommand {
    }

    /** {@code SHUTDOWN}. */
    record Shutdown() implements AdminCommand {
    }

    /** {@code SET name = value}, which drivers send after connecting; only {@code application_name} is kept. */
    record Set(String name, String value) implements AdminCommand {
    }

    /**
     * {@code BEGIN}, {@code START TRANSACTION}, {@code COMMIT}, {@code END}, {@code ROLLBACK}, {@code ABORT}: drivers
     * that are not in autocommit (psycopg's default) wrap commands in them. Nothing here is transactional; they are
     * answered with their tag and the transaction status a server would report.
     *
     * @param tag  the CommandComplete tag: BEGIN, COMMIT or ROLLBACK
     * @param open whether the session is in a transaction block afterwards
     */
    record Transaction(String tag, boolean open) implements AdminCommand {
    }

    /** What {@code SHOW} can show. */
    enum Topic {
        HELP, VERSION, CONFIG, NODES, POOLS, CLIENTS, SERVERS, CACHE, ROUTES, STATS, ERRORS,
        /** {@code SHOW CACHE TABLES}: two words, never matched as one. */
        CACHE_TABLES
    }
}
