package io.pgroute.proxy.session;

import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Server-prepared statements after the tables they read change shape (COMPAT V6). PostgreSQL answers a prepared
 * {@code SELECT *} whose result type changed with 0A000 "cached plan must not change result type"; pgjdbc then
 * prepares the statement again and retries. Through pgroute, whose server statements are shared by name between
 * clients, the re-prepare must reach the server, on every connection that still has the old plan.
 */
class SchemaChangeIT {

    @Test
    void preparedSelectStarKeepsWorkingAfterAColumnIsAdded() throws Exception {
        try (PgrouteServer server = ProxyFixture.server("shape.yaml", Map.of("pool", "  size: 2"))) {
            Properties props = new Properties();
            props.setProperty("user", "app");
            props.setProperty("password", "app");
            props.setProperty("prepareThreshold", "1");
            String url = "jdbc:postgresql://127.0.0.1:" + server.port() + "/app";
            try (Connection owner = DriverManager.getConnection(url, props); Statement s = owner.createStatement()) {
                s.execute("DROP TABLE IF EXISTS shape_change");
                s.execute("CREATE TABLE shape_change (id int PRIMARY KEY, a text)");
                s.execute("INSERT INTO shape_change VALUES (1, 'one')");
            }
            List<Connection> clients = new ArrayList<>();
            List<PreparedStatement> statements = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    Connection c = DriverManager.getConnection(url, props);
                    clients.add(c);
                    statements.add(c.prepareStatement("/* pgroute: primary */ SELECT * FROM shape_change WHERE id = ?"));
                }
                for (int round = 0; round < 3; round++) {
                    for (PreparedStatement ps : statements) {
                        assertThat(columns(ps)).isEqualTo(2);
                    }
                }
                try (Connection admin = DriverManager.getConnection(url, props); Statement s = admin.createStatement()) {
                    s.execute("ALTER TABLE shape_change ADD COLUMN b int DEFAULT 7");
                }
                List<String> failures = new ArrayList<>();
                for (int round = 0; round < 5; round++) {
                    for (int i = 0; i < statements.size(); i++) {
                        try {
                            assertThat(columns(statements.get(i))).as("round %d client %d", round, i).isEqualTo(3);
                        } catch (SQLException e) {
                            failures.add("round " + round + " client " + i + ": " + e.getSQLState() + " "
                                    + e.getMessage());
                        }
                    }
                }
                assertThat(failures).as("pgjdbc heals a changed result type by preparing again, as against "
                        + "PostgreSQL itself").isEmpty();
            } finally {
                for (Connection each : clients) {
                    each.close();
                }
            }
        }
    }

    private static int columns(PreparedStatement ps) throws SQLException {
        ps.setInt(1, 1);
        try (ResultSet rs = ps.executeQuery()) {
            assertThat(rs.next()).isTrue();
            return rs.getMetaData().getColumnCount();
        }
    }
}
