package io.pgroute.proxy.session;

import io.pgroute.protocol.backend.DataRow;
import io.pgroute.protocol.frontend.Query;

import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Asks the server connection a session is pinned to which of the state it is pinned for is still there, after the
 * session ran a statement that may have ended the last of it, which pgroute cannot tell from the statement: a
 * {@code pg_try_advisory_lock} that returned false or a {@code pg_advisory_unlock} of its last lock (COMPAT T7), an
 * {@code UNLISTEN} of its last channel, a {@code DEALLOCATE} of its last SQL-prepared statement, a {@code DROP} of its
 * last temporary object, a {@code CLOSE} of its last cursor WITH HOLD. It asks once the
 * session is idle, with nothing else on that connection: then no transaction-level lock is held (any advisory lock of
 * the connection's process is a session lock), and the views show what is committed. The pins of each kind found
 * empty that were sent before the question end.
 *
 * <pre>
 *   idle, pinned, a kind uncertain --> start(): Query sent, its answer swallowed
 *   DataRow --> a count per kind;  ErrorResponse --> nothing known
 *   ReadyForQuery --> finish(): the Freeing of the kinds asked about that were found empty, or null
 * </pre>
 *
 * Confined to the session's event loop.
 */
final class StateProbe {

    /** The kinds asked about, in the order of {@link #SQL}'s columns. */
    private static final List<SessionPins.Kind> KINDS = List.of(SessionPins.Kind.ADVISORY_LOCK,
            SessionPins.Kind.LISTEN, SessionPins.Kind.PREPARED, SessionPins.Kind.TEMPORARY,
            SessionPins.Kind.HELD_CURSOR);

    /** Each catalog of objects that can live in a schema, and its column naming the schema. */
    private static final List<String> SCHEMA_OBJECTS = List.of("pg_class relnamespace", "pg_proc pronamespace",
            "pg_type typnamespace", "pg_operator oprnamespace", "pg_collation collnamespace",
            "pg_conversion connamespace", "pg_opclass opcnamespace", "pg_opfamily opfnamespace",
            "pg_ts_config cfgnamespace", "pg_ts_dict dictnamespace", "pg_ts_parser prsnamespace",
            "pg_ts_template tmplnamespace", "pg_statistic_ext stxnamespace");

    /**
     * Advisory locks of this server process, its channels, its SQL-prepared statements, the objects in its temporary
     * schema (none when it has none: {@code pg_my_temp_schema()} is then 0), its cursors WITH HOLD (at idle the only
     * cursors left).
     */
    static final String SQL = "SELECT (SELECT pg_catalog.count(*) FROM pg_catalog.pg_locks WHERE locktype = 'advisory'"
            + " AND pid = pg_catalog.pg_backend_pid()), (SELECT pg_catalog.count(*) FROM"
            + " pg_catalog.pg_listening_channels()), (SELECT pg_catalog.count(*) FROM pg_catalog.pg_prepared_statements"
            + " WHERE from_sql), (SELECT pg_catalog.count(*) FROM ("
            + String.join(" UNION ALL ", SCHEMA_OBJECTS.stream().map(each -> each.split(" "))
                    .map(each -> "SELECT 1 FROM pg_catalog." + each[0] + " WHERE " + each[1]
                            + " = pg_catalog.pg_my_temp_schema()").toList())
            + ") temporary_objects), (SELECT pg_catalog.count(*) FROM pg_catalog.pg_cursors WHERE is_holdable)";

    /** The pins the answer may end: those sent before the question, of the kinds asked. Null when none is out. */
    private SessionPins.Freeing asked;
    /** The kinds found with nothing left; null until a row says. */
    private Set<SessionPins.Kind> empty;

    boolean inFlight() {
        return asked != null;
    }

    /** The question, to send now; {@code freeing}: what may end, of the kinds it names. */
    Query start(SessionPins.Freeing freeing) {
        asked = freeing;
        empty = null;
        return new Query(SQL);
    }

    void onDataRow(DataRow row) {
        byte[][] values = row.values();
        if (values.length != KINDS.size()) {
            empty = null;
            return;
        }
        Set<SessionPins.Kind> found = EnumSet.noneOf(SessionPins.Kind.class);
        for (int i = 0; i < values.length; i++) {
            if (values[i] != null && "0".equals(new String(values[i], StandardCharsets.US_ASCII))) {
                found.add(KINDS.get(i));
            }
        }
        empty = found;
    }

    void onError() {
        empty = null;
    }

    /** The answer is complete: what it ends (the kinds asked about that were found empty), or null. */
    SessionPins.Freeing finish() {
        SessionPins.Freeing result = null;
        if (empty != null) {
            Set<SessionPins.Kind> ended = EnumSet.noneOf(SessionPins.Kind.class);
            ended.addAll(asked.kinds());
            ended.retainAll(empty);
            result = ended.isEmpty() ? null : new SessionPins.Freeing(ended, asked.pinsSentBefore());
        }
        asked = null;
        empty = null;
        return result;
    }
}
