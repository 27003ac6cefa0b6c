package io.pgroute.proxy.routing;

import io.pgroute.config.DatabaseConfig;
import io.pgroute.config.NodeConfig;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * After pgroute promoted a replica ({@link Promoter}), points the other replicas at it: each one's
 * {@code primary_conninfo} gets the new primary's host and port (everything else, user, password, application name,
 * kept), set with {@code ALTER SYSTEM} and applied with {@code pg_reload_conf()}; PostgreSQL (13 and later) restarts
 * the WAL receiver, and with {@code recovery_target_timeline = 'latest'} (the default) the standby follows the new
 * timeline. A replica using a replication slot gets one of the same name on the new primary first. Needs, on the
 * replicas, the right to read the setting ({@code pg_read_all_settings}), to change it ({@code GRANT ALTER SYSTEM ON
 * PARAMETER primary_conninfo}) and to reload ({@code EXECUTE} on {@code pg_reload_conf()}), and for slots
 * {@code REPLICATION} on the new primary, or a superuser as the control plane's role. Each step's failure is logged
 * with what is missing; nothing is retried.
 */
final class ReplicaRepointer {

    private static final Logger LOGGER = LoggerFactory.getLogger(ReplicaRepointer.class);

    private final DatabaseConfig config;
    private final String user;
    private final String password;

    ReplicaRepointer(DatabaseConfig config, String user, String password) {
        this.config = config;
        this.user = user;
        this.password = password;
    }

    /** Points {@code replica} (named {@code name} in logs) at {@code primary}; whether it was done. */
    boolean repoint(String name, NodeConfig replica, NodeConfig primary) {
        String conninfo;
        String slot;
        String timeline;
        try (Connection connection = connect(replica); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT current_setting('primary_conninfo'),"
                     + " current_setting('primary_slot_name'), current_setting('recovery_target_timeline')")) {
            rows.next();
            conninfo = rows.getString(1);
            slot = rows.getString(2);
            timeline = rows.getString(3);
        } catch (SQLException e) {
            LOGGER.error("database={} cannot point {} at the new primary: reading its primary_conninfo failed: {} {}{}",
                    config.name(), name, e.getSQLState(), e.getMessage(), "42501".equals(e.getSQLState())
                            ? " (GRANT pg_read_all_settings TO " + user + ", or use a superuser)" : "");
            return false;
        }
        if (!"latest".equalsIgnoreCase(timeline)) {
            LOGGER.warn("database={} {} has recovery_target_timeline = '{}': it may not follow the new primary's "
                    + "timeline", config.name(), name, timeline);
        }
        String pointed;
        try {
            pointed = withPrimary(conninfo, primary.host(), primary.port());
        } catch (IllegalArgumentException e) {
            LOGGER.error("database={} cannot point {} at the new primary: {}", config.name(), name, e.getMessage());
            return false;
        }
        if (slot != null && !slot.isEmpty() && !createSlot(name, primary, slot)) {
            return false;
        }
        try (Connection connection = connect(replica); Statement statement = connection.createStatement()) {
            statement.execute("ALTER SYSTEM SET primary_conninfo = " + literal(pointed));
            try (ResultSet rows = statement.executeQuery("SELECT pg_reload_conf()")) {
                rows.next();
            }
        } catch (SQLException e) {
            LOGGER.error("database={} cannot point {} at the new primary: {} {}{}", config.name(), name,
                    e.getSQLState(), e.getMessage(), "42501".equals(e.getSQLState())
                            ? " (GRANT ALTER SYSTEM ON PARAMETER primary_conninfo TO " + user + " and GRANT EXECUTE"
                            + " ON FUNCTION pg_reload_conf() TO " + user + ", or use a superuser)" : "");
            return false;
        }
        LOGGER.warn("database={} {} now streams from the new primary {}", config.name(), name, primary.address());
        return true;
    }

    private boolean createSlot(String name, NodeConfig primary, String slot) {
        try (Connection connection = connect(primary); PreparedStatement statement = connection.prepareStatement(
                "SELECT pg_create_physical_replication_slot(?) WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots"
                        + " WHERE slot_name = ?)")) {
            statement.setString(1, slot);
            statement.setString(2, slot);
            statement.executeQuery().close();
            return true;
        } catch (SQLException e) {
            LOGGER.error("database={} cannot point {} at the new primary: creating its replication slot {} there "
                    + "failed: {} {}", config.name(), name, slot, e.getSQLState(), e.getMessage());
            return false;
        }
    }

    private Connection connect(NodeConfig node) throws SQLException {
        return JdbcEndpoint.connect(config, user, password, node, "pgroute-promoter", "5", "30");
    }

    /**
     * {@code conninfo} (libpq's {@code keyword=value} form) with {@code host} and {@code port} in place of those it
     * had, and no {@code hostaddr}; every other keyword and value kept, in order.
     *
     * @throws IllegalArgumentException for a URI ({@code postgresql://…}) or text libpq would not parse
     */
    static String withPrimary(String conninfo, String host, int port) {
        String text = conninfo == null ? "" : conninfo.strip();
        if (text.startsWith("postgresql://") || text.startsWith("postgres://")) {
            throw new IllegalArgumentException("its primary_conninfo is a URI, which pgroute does not rewrite");
        }
        Map<String, String> values = parse(text);
        values.remove("hostaddr");
        Map<String, String> result = new LinkedHashMap<>();
        result.put("host", host);
        result.put("port", Integer.toString(port));
        values.forEach((key, value) -> {
            if (!key.equals("host") && !key.equals("port")) {
                result.put(key, value);
            }
        });
        StringBuilder out = new StringBuilder();
        result.forEach((key, value) -> out.append(out.isEmpty() ? "" : " ").append(key).append("='")
                .append(value.replace("\\", "\\\\").replace("'", "\\'")).append('\''));
        return out.toString();
    }

    /** libpq's conninfo_parse: {@code keyword = value} pairs, a value quoted with {@code '} or bare, {@code \} escapes. */
    static Map<String, String> parse(String text) {
        Map<String, String> result = new LinkedHashMap<>();
        int i = 0;
        int length = text.length();
        while (true) {
            while (i < length && Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            if (i >= length) {
                return result;
            }
            int keyStart = i;
            while (i < length && text.charAt(i) != '=' && !Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            String key = text.substring(keyStart, i).toLowerCase(Locale.ROOT);
            while (i < length && Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            if (key.isEmpty() || i >= length || text.charAt(i) != '=') {
                throw new IllegalArgumentException("its primary_conninfo is malformed: missing \"=\" after \"" + key
                        + "\"");
            }
            i++;
            while (i < length && Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            StringBuilder value = new StringBuilder();
            if (i < length && text.charAt(i) == '\'') {
                i++;
                while (true) {
                    if (i >= length) {
                        throw new IllegalArgumentException("its primary_conninfo is malformed: unterminated quoted "
                                + "string");
                    }
                    char c = text.charAt(i++);
                    if (c == '\\' && i < length) {
                        value.append(text.charAt(i++));
                    } else if (c == '\'') {
                        break;
                    } else {
                        value.append(c);
                    }
                }
            } else {
                while (i < length && !Character.isWhitespace(text.charAt(i))) {
                    char c = text.charAt(i++);
                    if (c == '\\' && i < length) {
                        value.append(text.charAt(i++));
                    } else {
                        value.append(c);
                    }
                }
            }
            result.put(key, value.toString());
        }
    }

    /** A SQL string literal of {@code value} that reads the same whatever {@code standard_conforming_strings} is. */
    static String literal(String value) {
        return "E'" + value.replace("\\", "\\\\").replace("'", "''") + "'";
    }
}
