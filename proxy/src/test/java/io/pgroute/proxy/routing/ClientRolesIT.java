package io.pgroute.proxy.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgroute.config.ConfigLoader;
import io.pgroute.localcluster.LocalCluster;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A database whose sessions log in to the servers as the clients' own roles (no {@code databases.*.user}) and whose
 * control plane has a login of its own ({@code monitor_user}): replicas are monitored and take reads, and each
 * session is judged by its own role's defaults ({@code ALTER ROLE … SET}), not by the monitor's.
 */
class ClientRolesIT {

    private static final String MONITOR = "roles_watch";
    private static final String PLAIN = "roles_plain";
    private static final String SERIAL = "roles_serial";
    private static final String ASYNC = "roles_async";
    private static final Duration DEADLINE = Duration.ofSeconds(20);

    private static PgrouteServer server;
    private static int primaryPort;

    @BeforeAll
    static void start() throws Exception {
        LocalCluster cluster = ProxyFixture.get().cluster();
        primaryPort = cluster.primary().port();
        cluster.execute("app", "CREATE TABLE IF NOT EXISTS role_rows (id bigserial PRIMARY KEY, note text)",
                "GRANT SELECT, UPDATE ON role_rows TO app");  // the direct connection's UPDATE
        for (String role : new String[] {MONITOR, PLAIN, SERIAL, ASYNC}) {
            cluster.execute("app", "DO $$ BEGIN CREATE ROLE " + role + " LOGIN PASSWORD '" + role + "'; "
                    + "EXCEPTION WHEN duplicate_object THEN NULL; END $$");
        }
        for (String role : new String[] {PLAIN, SERIAL, ASYNC}) {
            cluster.execute("app", "GRANT SELECT, INSERT ON role_rows TO " + role,
                    "GRANT USAGE ON SEQUENCE role_rows_id_seq TO " + role);
        }
        cluster.execute("app", "ALTER ROLE " + SERIAL + " SET default_transaction_isolation = 'serializable'",
                "ALTER ROLE " + ASYNC + " IN DATABASE app SET synchronous_commit = off",
                // the monitor's own defaults must not be taken for the others'; with the configuration files
                // readable, the server's value is known all the same (else it would be assumed off)
                "ALTER ROLE " + MONITOR + " SET synchronous_commit = local",
                "GRANT SELECT ON pg_file_settings TO " + MONITOR,
                "GRANT EXECUTE ON FUNCTION pg_show_all_file_settings() TO " + MONITOR);
        cluster.awaitReplication(DEADLINE);
        String yaml = ProxyFixture.yaml(cluster, Map.of("routing", "  consistency: causal"))
                .replace("    dbname: app\n    user: app\n    password: app\n",
                        "    dbname: app\n    monitor_user: " + MONITOR + "\n    monitor_password: " + MONITOR + "\n")
                .replace("users:\n", "users:\n  " + PLAIN + ": { password: " + PLAIN + " }\n  " + SERIAL
                        + ": { password: " + SERIAL + " }\n  " + ASYNC + ": { password: " + ASYNC + " }\n");
        assertThat(yaml).contains("monitor_user: " + MONITOR).doesNotContain("    user: app\n");
        server = new PgrouteServer(ConfigLoader.parse(yaml, "roles.yaml", System::getenv), 1).start();
        DatabaseRouting routing = server.routing("app");
        Awaitility.await().atMost(DEADLINE).until(() -> routing.monitor() != null
                && routing.monitor().state().replicas().stream().allMatch(NodeState::eligible)
                && routing.serializableByDefault(SERIAL) && routing.asynchronousByDefault(ASYNC));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stop(Duration.ofSeconds(2));
        }
    }

    @Test
    void aRoleWithoutDefaultsOfItsOwnReadsFromTheReplicasItsOwnSessionLoggedInAs() throws SQLException {
        DatabaseRouting routing = server.routing("app");
        assertThat(routing.serializableByDefault(PLAIN)).isFalse();
        assertThat(routing.asynchronousByDefault(PLAIN)).isFalse();
        assertThat(routing.asynchronousByDefault(MONITOR)).isFalse();  // 'local' is synchronous as far as reads go
        int replicaReads = 0;
        try (Connection c = connect(PLAIN); Statement s = c.createStatement()) {
            for (int i = 0; i < 20; i++) {
                try (ResultSet rs = s.executeQuery("SELECT current_user, pg_is_in_recovery(), count(*) FROM role_rows")) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getString(1)).isEqualTo(PLAIN);
                    replicaReads += rs.getBoolean(2) ? 1 : 0;
                }
            }
        }
        assertThat(replicaReads).as("reads answered by a replica, of 20").isPositive();
    }

    @Test
    void aRoleThatIsSerializableByDefaultReadsFromThePrimaryWithoutARefusal() throws SQLException {
        try (Connection c = connect(SERIAL); Statement s = c.createStatement()) {
            for (int i = 0; i < 10; i++) {
                try (ResultSet rs = s.executeQuery("SELECT current_setting('transaction_isolation'), "
                        + "pg_is_in_recovery()")) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getString(1)).isEqualTo("serializable");
                    assertThat(rs.getBoolean(2)).as("answered by a replica").isFalse();
                }
            }
        }
        // no replica refused one (a refusal would send every role's reads to the primary for a minute)
        assertThat(server.routing("app").serializableByDefault(PLAIN)).isFalse();
    }

    @Test
    void aRoleThatCommitsAsynchronouslyByDefaultReadsItsOwnWrites() throws SQLException {
        try (Connection c = connect(ASYNC); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT current_setting('synchronous_commit')")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("off");
            }
            AsynchronousCommitIT.assertReadsOwnWrites(s, "role_rows", 100, primaryPort);
        }
    }

    private static Connection connect(String role) throws SQLException {
        return ProxyFixture.connectAs(server, "app", role, role);
    }
}
