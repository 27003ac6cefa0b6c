package io.pgroute.proxy.routing;

import io.pgroute.config.DatabaseConfig;
import io.pgroute.config.NodeConfig;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code pgroute check --connect} asks of each database before pgroute starts: that the control plane's login
 * ({@code monitor_user}, else {@code user}) reaches every node with the configured TLS, which of them is writable,
 * and that the {@code auth_query} runs. One line per check; a failed one says why.
 */
public final class ControlPlaneCheck {

    /** A user name no role has: the auth_query is run for it, so that it returns no row. */
    static final String PROBE_USER = "pgroute check: no such role";

    /** One check's outcome. */
    public record Line(boolean ok, String text) {
    }

    private ControlPlaneCheck() {
    }

    /** The checks of {@code database}, in order: its nodes, then its auth_query. */
    public static List<Line> of(DatabaseConfig database) {
        List<Line> result = new ArrayList<>();
        if (!database.hasControlLogin()) {
            result.add(new Line(true, database.name() + ": no control-plane login (monitor_user/monitor_password or "
                    + "user/password): not monitored, no catalog" + (database.replicas().isEmpty() ? ""
                    : ", reads stay on the primary")));
            return result;
        }
        List<NodeConfig> nodes = new ArrayList<>();
        nodes.add(database.primary());
        nodes.addAll(database.replicas());
        for (int i = 0; i < nodes.size(); i++) {
            String name = database.name() + "/" + (i == 0 ? "primary" : "replica" + i);
            result.add(node(database, name, nodes.get(i)));
        }
        if (database.authQuery() != null) {
            result.add(authQuery(database));
        }
        return result;
    }

    private static Line node(DatabaseConfig database, String name, NodeConfig node) {
        String where = name + " " + node.address();
        try (Connection connection = connect(database, node); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT pg_is_in_recovery(), current_setting('server_version'),"
                     + " (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid())")) {
            rows.next();
            return new Line(true, where + ": OK as " + database.controlUser() + ", PostgreSQL " + rows.getString(2)
                    + ", " + (rows.getBoolean(1) ? "in recovery" : "writable") + (rows.getBoolean(3) ? ", TLS" : ""));
        } catch (SQLException e) {
            return new Line(false, where + ": " + failure(e));
        }
    }

    private static Line authQuery(DatabaseConfig database) {
        String where = database.name() + " auth_query";
        try (Connection connection = connect(database, database.primary());
             PreparedStatement statement = connection.prepareStatement(AuthQuery.jdbcText(database.authQuery()))) {
            statement.setString(1, PROBE_USER);
            try (ResultSet rows = statement.executeQuery()) {
                int columns = rows.getMetaData().getColumnCount();
                return rows.next()
                        ? new Line(false, where + ": returned a row for a role that does not exist")
                        : new Line(true, where + ": OK (" + columns + " column" + (columns == 1 ? "" : "s")
                                + ", the last one read as the secret)");
            }
        } catch (SQLException e) {
            return new Line(false, where + ": " + failure(e));
        }
    }

    private static Connection connect(DatabaseConfig database, NodeConfig node) throws SQLException {
        return JdbcEndpoint.connect(database, database.controlUser(), database.controlPassword(), node,
                "pgroute check", "5", "10");
    }

    private static String failure(SQLException e) {
        return (e.getSQLState() == null ? "" : e.getSQLState() + " ") + e.getMessage();
    }
}
