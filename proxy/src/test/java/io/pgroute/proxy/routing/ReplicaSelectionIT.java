package io.pgroute.proxy.routing;

import io.pgroute.config.ConfigLoader;
import io.pgroute.localcluster.LocalCluster;
import io.pgroute.localcluster.PgNode;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Replica weights shape the spread of reads, and a replica lagging past max_lag gets none until it catches up. */
class ReplicaSelectionIT {

    private static PgrouteServer server(LocalCluster cluster, String replicas, String routing) throws Exception {
        String yaml = ProxyFixture.yaml(cluster, Map.of("routing", routing));
        int at = yaml.indexOf("    replicas:\n");
        int end = yaml.indexOf("    dbname:");
        yaml = yaml.substring(0, at) + replicas + yaml.substring(end);
        return new PgrouteServer(ConfigLoader.parse(yaml, "selection.yaml", System::getenv), 1).start();
    }

    private static Map<Integer, Integer> spread(PgrouteServer server, int reads) throws SQLException {
        Map<Integer, Integer> result = new HashMap<>();
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + server.port() + "/app",
                "app", "app"); Statement s = c.createStatement()) {
            for (int i = 0; i < reads; i++) {
                try (ResultSet rs = s.executeQuery("SELECT inet_server_port()")) {
                    rs.next();
                    result.merge(rs.getInt(1), 1, Integer::sum);
                }
            }
        }
        return result;
    }

    @Test
    void spreadsReadsInProportionToWeights() throws Exception {
        LocalCluster cluster = ProxyFixture.get().cluster();
        PgNode light = cluster.replicas().get(0);
        PgNode heavy = cluster.replicas().get(1);
        String replicas = "    replicas:\n      - { host: 127.0.0.1, port: " + light.port() + ", weight: 1 }\n"
                + "      - { host: 127.0.0.1, port: " + heavy.port() + ", weight: 3 }\n";
        // eventual: with causal consistency a session's monotonic reads may skip a replica whose last sample is
        // behind what the session already saw (any WAL on the primary), which bends an exact weighted sequence
        try (PgrouteServer server = server(cluster, replicas, "  balance: round-robin\n  consistency: eventual")) {
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> server.routing("app").monitor().state()
                    .replicas().stream().allMatch(NodeState::eligible));
            Map<Integer, Integer> byPort = spread(server, 400);
            assertThat(byPort.get(light.port())).isEqualTo(100);
            assertThat(byPort.get(heavy.port())).isEqualTo(300);
        }
    }

    @Test
    void aReplicaLaggingPastMaxLagGetsNoReadsUntilItCatchesUp() throws Exception {
        LocalCluster cluster = ProxyFixture.get().cluster();
        PgNode paused = cluster.replicas().get(0);
        PgNode healthy = cluster.replicas().get(1);
        String replicas = "    replicas:\n      - { host: 127.0.0.1, port: " + paused.port() + " }\n"
                + "      - { host: 127.0.0.1, port: " + healthy.port() + " }\n";
        try (PgrouteServer server = server(cluster, replicas, "  max_lag: 200ms")) {
            replay(paused, "pg_wal_replay_pause()");
            try {
                try (Connection direct = ProxyFixture.get().connectDirect(); Statement s = direct.createStatement()) {
                    s.execute("CREATE TABLE IF NOT EXISTS lagging (id int)");
                    s.execute("INSERT INTO lagging VALUES (1)");
                }
                Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> !server.routing("app").monitor().state()
                        .replicas().get(0).eligible());
                Map<Integer, Integer> byPort = spread(server, 100);
                assertThat(byPort).as("monitor now: %s", server.routing("app").monitor().state())
                        .containsOnlyKeys(healthy.port());
            } finally {
                replay(paused, "pg_wal_replay_resume()");
            }
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> server.routing("app").monitor().state()
                    .replicas().get(0).eligible());
            // one busy session stays on the replica that answered it (monotonic reads): new sessions spread
            Map<Integer, Integer> bySession = new HashMap<>();
            for (int i = 0; i < 10; i++) {
                spread(server, 5).forEach((port, count) -> bySession.merge(port, count, Integer::sum));
            }
            assertThat(bySession).containsKeys(paused.port(), healthy.port());
        }
    }

    @Test
    void readsTheCatalogSoAUserStableFunctionRunsOnAReplicaAndAVolatileOneOnThePrimary() throws Exception {
        LocalCluster cluster = ProxyFixture.get().cluster();
        try (Connection direct = ProxyFixture.get().connectDirect(); Statement s = direct.createStatement()) {
            s.execute("CREATE OR REPLACE FUNCTION catalog_stable_port() RETURNS int STABLE LANGUAGE sql "
                    + "AS 'SELECT inet_server_port()'");
            s.execute("CREATE OR REPLACE FUNCTION catalog_volatile_port() RETURNS int VOLATILE LANGUAGE sql "
                    + "AS 'SELECT inet_server_port()'");
        }
        cluster.awaitReplication(Duration.ofSeconds(10));
        String replicas = "    replicas:\n      - { host: 127.0.0.1, port: " + cluster.replicas().get(0).port() + " }\n";
        try (PgrouteServer server = server(cluster, replicas, "  catalog_refresh: 200ms")) {
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + server.port() + "/app",
                    "app", "app"); Statement s = c.createStatement()) {
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> port(s, "SELECT catalog_stable_port()")
                        == cluster.replicas().get(0).port());
                for (int i = 0; i < 10; i++) {
                    assertThat(port(s, "SELECT catalog_volatile_port()")).isEqualTo(cluster.primary().port());
                }
            }
        }
    }

    private static int port(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static void replay(PgNode node, String call) throws SQLException {
        LocalCluster cluster = ProxyFixture.get().cluster();
        try (Connection c = DriverManager.getConnection(node.jdbcUrl("postgres"), cluster.superuser(),
                cluster.superuserPassword()); Statement s = c.createStatement()) {
            s.execute("SELECT " + call);
        }
    }
}
