package io.pgroute.localcluster;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import org.postgresql.Driver;

/**
 * Short-lived pgjdbc connections as the cluster's superuser, for setup, probes and
 * {@link LocalCluster#execute}. Every connection has connect and socket timeouts, so no call can hang.
 */
final class PgClient {

    private static final int CONNECT_TIMEOUT_SECONDS = 5;
    private static final int SOCKET_TIMEOUT_SECONDS = 120;

    private final Driver driver = new Driver();
    private final String user;
    private final String password;

    PgClient(String user, String password) {
        this.user = user;
        this.password = password;
    }

    Connection connect(PgNode node, String database) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", user);
        properties.setProperty("password", password);
        properties.setProperty("connectTimeout", Integer.toString(CONNECT_TIMEOUT_SECONDS));
        properties.setProperty("loginTimeout", Integer.toString(CONNECT_TIMEOUT_SECONDS));
        properties.setProperty("socketTimeout", Integer.toString(SOCKET_TIMEOUT_SECONDS));
        properties.setProperty("sslmode", "disable");
        properties.setProperty("ApplicationName", "pgroute-localcluster");
        Connection result = driver.connect(node.jdbcUrl(database), properties);
        if (result == null) {
            throw new SQLException("pgjdbc did not accept " + node.jdbcUrl(database));
        }
        return result;
    }

    /** Runs each statement in turn on one autocommit connection (so {@code SET} carries over to the next). */
    void execute(PgNode node, String database, String... sql) throws SQLException {
        try (Connection connection = connect(node, database); Statement statement = connection.createStatement()) {
            for (String each : sql) {
                statement.execute(each);
            }
        }
    }

    /** The first column of the first row as text, or null if there is no row or the value is NULL. */
    String queryString(PgNode node, String database, String sql) throws SQLException {
        try (Connection connection = connect(node, database);
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(sql)) {
            return rows.next() ? rows.getString(1) : null;
        }
    }

    /** The first column of the first row as a boolean; false if there is no row or the value is NULL. */
    boolean queryBoolean(PgNode node, String database, String sql) throws SQLException {
        try (Connection connection = connect(node, database);
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(sql)) {
            return rows.next() && rows.getBoolean(1);
        }
    }
}
