package io.pgroute.proxy.sql;

import java.util.Set;

/**
 * Knowledge that overrides {@code pg_proc}: functions that need the primary whatever their volatility, the
 * safe-on-standby allow-list, and relations that answer for the node they are read on.
 *
 * <p>Found by running the functions on a hot standby: {@code txid_current()} and {@code pg_current_xact_id()}
 * are STABLE yet assign a transaction id and fail there; {@code pg_is_in_recovery()}, {@code version()} and
 * friends are VOLATILE yet read nothing ({@code version()} is answered by the primary all the same: COMPAT P4).
 * Matching is on the unqualified name of a {@code pg_catalog} or unqualified function only, so a user's
 * {@code app.nextval} is left to the catalog.
 */
final class FunctionRules {
    /** Side effects, xid assignment or session state: always the primary. */
    private static final Set<String> PRIMARY_ONLY = Set.of(
            "nextval", "setval", "currval", "lastval",
            "txid_current", "pg_current_xact_id",
            "pg_notify", "set_config", "pg_export_snapshot", "pg_logical_emit_message",
            "pg_create_restore_point", "pg_switch_wal", "pg_reload_conf", "pg_rotate_logfile",
            "pg_cancel_backend", "pg_terminate_backend", "pg_stat_reset", "pg_import_system_collations",
            "lo_creat", "lo_create", "lo_import", "lo_export", "lo_unlink", "lo_open", "lo_from_bytea", "lo_put",
            "lo_truncate", "lo_truncate64", "lowrite", "lo_lseek", "lo_lseek64", "loread", "lo_close", "lo_tell",
            "dblink_exec", "pg_create_physical_replication_slot", "pg_create_logical_replication_slot",
            "pg_drop_replication_slot", "pg_replication_origin_create", "pg_advisory_unlock_all");

    /** The function that changes a session's settings (the session is pinned when it calls it). */
    static final String SETS_SETTINGS = "set_config";

    /** Prefixes of function families that always need the primary. */
    private static final String[] PRIMARY_ONLY_PREFIXES = {"pg_advisory_", "pg_try_advisory_", "pg_stat_reset"};

    /** Session-level advisory locks stay with the connection: the session must be pinned. */
    private static final String[] SESSION_LOCK_PREFIXES = {"pg_advisory_lock", "pg_try_advisory_lock"};

    /** VOLATILE (or unknown to the catalog) yet safe anywhere: they report on the node or are random. */
    private static final Set<String> SAFE_ON_STANDBY = Set.of(
            "pg_is_in_recovery", "inet_server_port", "inet_server_addr", "inet_client_port", "inet_client_addr",
            "current_setting", "pg_last_wal_replay_lsn", "pg_last_wal_receive_lsn",
            "pg_last_xact_replay_timestamp", "pg_is_wal_replay_paused", "pg_get_wal_replay_pause_state",
            "pg_backend_pid", "pg_postmaster_start_time", "pg_conf_load_time", "pg_sleep", "pg_sleep_for",
            "random", "random_normal", "gen_random_uuid", "uuid_generate_v4", "clock_timestamp", "timeofday",
            "pg_relation_size", "pg_total_relation_size", "pg_table_size", "pg_indexes_size",
            "pg_database_size", "pg_column_size");

    /**
     * Functions that report the server's release: the primary answers them, as it answered the login's
     * {@code server_version}, so that a replica on another minor release (during a rolling upgrade) never makes them
     * disagree (COMPAT P4).
     */
    private static final Set<String> SERVER_RELEASE = Set.of("version");

    /** Relations (views) whose rows describe the node that answers, so a replica answers differently. */
    private static final Set<String> NODE_LOCAL = Set.of(
            "pg_locks", "pg_replication_slots", "pg_prepared_xacts", "pg_backend_memory_contexts",
            "pg_stat_activity", "pg_stat_replication", "pg_stat_wal_receiver", "pg_stat_ssl", "pg_stat_gssapi");

    private FunctionRules() {
    }

    static boolean isPrimaryOnly(String normalized) {
        if (!Names.isCatalogOrUnqualified(normalized)) {
            return false;
        }
        return PRIMARY_ONLY.contains(normalized) || startsWithAny(normalized, PRIMARY_ONLY_PREFIXES);
    }

    /**
     * What a statement nobody could read (the parser busy) may do to its session, judged by its text alone and
     * erring towards yes: whether it mentions {@code set_config} ({@code settings}) or a session-level advisory lock
     * ({@code lock}), anywhere, comments and literals included.
     */
    static boolean mentions(String sql, boolean lock) {
        String word = lock ? "advisory_lock" : SETS_SETTINGS;
        int last = sql.length() - word.length();
        for (int i = 0; i <= last; i++) {
            if (sql.regionMatches(true, i, word, 0, word.length())) {
                return true;
            }
        }
        return false;
    }

    static boolean pinsSession(String normalized) {
        return Names.isCatalogOrUnqualified(normalized) && startsWithAny(normalized, SESSION_LOCK_PREFIXES)
                && !normalized.contains("_xact_");
    }

    /** PostgreSQL's functions that run SQL given as text, so read whatever tables it names. */
    private static final Set<String> RUNS_SQL_TEXT = Set.of("query_to_xml", "query_to_xmlschema",
            "query_to_xml_and_xmlschema", "cursor_to_xml", "cursor_to_xmlschema", "table_to_xml",
            "table_to_xmlschema", "table_to_xml_and_xmlschema", "schema_to_xml", "schema_to_xmlschema",
            "schema_to_xml_and_xmlschema", "database_to_xml", "database_to_xmlschema",
            "database_to_xml_and_xmlschema", "ts_stat", "ts_rewrite");

    /** Whether {@code normalized} is one of PostgreSQL's functions that run SQL given as text. */
    static boolean runsSqlText(String normalized) {
        String name = normalized.startsWith("pg_catalog.") ? normalized.substring(11) : normalized;
        return RUNS_SQL_TEXT.contains(name);
    }

    static boolean isSafeOnStandby(String normalized) {
        return Names.isCatalogOrUnqualified(normalized) && SAFE_ON_STANDBY.contains(normalized);
    }

    static boolean reportsServerRelease(String normalized) {
        return Names.isCatalogOrUnqualified(normalized) && SERVER_RELEASE.contains(normalized);
    }

    /** Node-local catalog views ({@code pg_stat_*} included), unqualified or in pg_catalog. */
    static boolean isNodeLocalRelation(String normalized) {
        String name = normalized.startsWith("pg_catalog.") ? normalized.substring(11) : normalized;
        if (name.indexOf('.') >= 0) {
            return false;
        }
        return NODE_LOCAL.contains(name) || name.startsWith("pg_stat_") || name.startsWith("pg_statio_");
    }

    /** Temporary relations written with an explicit {@code pg_temp} schema live only on one session. */
    static boolean isTemporaryRelation(String normalized) {
        return normalized.startsWith("pg_temp.") || normalized.startsWith("pg_temp_");
    }

    private static boolean startsWithAny(String name, String[] prefixes) {
        for (String each : prefixes) {
            if (name.startsWith(each)) {
                return true;
            }
        }
        return false;
    }
}
