package io.pgroute.proxy.routing;

import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * COMPAT R2 with the default set on the server: {@code ALTER ROLE … SET default_transaction_isolation =
 * 'serializable'} for the role pgroute connects as. Every standby refuses a serializable transaction (0A000 "cannot
 * use serializable mode in a hot standby"), so such sessions must read from the primary, and the node monitor, which
 * connects as the same role, must still see the replicas up.
 */
class RoleDefaultIsolationIT {

    private static final String ROLE = "serial_reader";
    private static final Duration DEADLINE = Duration.ofSeconds(20);

    private static PgrouteServer server;
    private static int primaryPort;

    @BeforeAll
    static void start() throws Exception {
        ProxyFixture fixture = ProxyFixture.get();
        primaryPort = fixture.cluster().primary().port();
        fixture.cluster().execute("app", "CREATE TABLE IF NOT EXISTS serial_rows (id int PRIMARY KEY, note text)",
                "INSERT INTO serial_rows VALUES (1, 'one'), (2, 'two') ON CONFLICT DO NOTHING");
        server = ProxyFixture.startAsRole(ROLE, "serial", Map.of(), "GRANT SELECT ON serial_rows TO " + ROLE,
                "ALTER ROLE " + ROLE + " SET default_transaction_isolation = 'serializable'");
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stop(Duration.ofSeconds(2));
        }
    }

    @Test
    void theMonitorSeesTheReplicasUp() {
        Awaitility.await().atMost(DEADLINE).untilAsserted(() -> assertThat(replicaStates())
                .as("the probe's own session is not serializable").containsExactly("up", "up"));
    }

    @Test
    void readsRunOnThePrimaryAsSerializableTransactions() throws SQLException {
        Awaitility.await().atMost(DEADLINE).until(() -> replicaStates().equals(List.of("up", "up")));
        try (Connection c = ProxyFixture.connect(server); Statement s = c.createStatement()) {
            for (int i = 0; i < 10; i++) {
                assertRead(s, "autocommit read " + i);
            }
            c.setReadOnly(true);
            c.setAutoCommit(false);
            for (int i = 0; i < 5; i++) {
                assertRead(s, "read-only transaction " + i);
                c.commit();
            }
            c.setAutoCommit(true);
            c.setReadOnly(false);
            s.execute("SET default_transaction_isolation = 'repeatable read'");
            Awaitility.await().atMost(DEADLINE).untilAsserted(() -> {
                try (ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery(), "
                        + "current_setting('transaction_isolation') FROM serial_rows WHERE id = 1")) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getBoolean(1)).as("a session that chose repeatable read reads from a standby")
                            .isTrue();
                    assertThat(rs.getString(2)).isEqualTo("repeatable read");
                }
            });
        }
    }

    @Test
    void aReadOnlyTransactionFirstOnItsConnectionRunsOnThePrimary() throws SQLException {
        Awaitility.await().atMost(DEADLINE).until(() -> replicaStates().equals(List.of("up", "up")));
        for (int i = 0; i < 5; i++) {
            try (Connection c = ProxyFixture.connect(server); Statement s = c.createStatement()) {
                c.setReadOnly(true);
                c.setAutoCommit(false);
                assertRead(s, "first read-only transaction of connection " + i);
                c.commit();
            }
        }
    }

    private static void assertRead(Statement s, String what) throws SQLException {
        try (ResultSet rs = s.executeQuery("SELECT inet_server_port(), current_setting('transaction_isolation'), "
                + "note FROM serial_rows WHERE id = 2")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getInt(1)).as(what).isEqualTo(primaryPort);
            assertThat(rs.getString(2)).as(what).isEqualTo("serializable");
            assertThat(rs.getString(3)).isEqualTo("two");
        }
    }

    private static List<String> replicaStates() throws SQLException {
        List<String> result = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + server.port() + "/pgroute",
                "admin", "admin"); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SHOW NODES")) {
            while (rs.next()) {
                if (rs.getString("role").equals("replica")) {
                    result.add(rs.getString("state"));
                }
            }
        }
        return result;
    }
}
