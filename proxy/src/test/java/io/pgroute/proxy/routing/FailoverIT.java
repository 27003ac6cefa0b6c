package io.pgroute.proxy.routing;

import io.pgroute.config.ConfigLoader;
import io.pgroute.localcluster.LocalCluster;
import io.pgroute.localcluster.PgNode;
import io.pgroute.proxy.demo.DemoCluster;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

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
 * A failover as Patroni or an operator does it: the primary stops, a replica is promoted ({@code pg_promote()}), and
 * pgroute, whose proxy.yaml still calls the old node the primary, sends the writes of every client (those connected
 * before included) to the promoted one, reads the rows written before and after, and keeps the writes there when the
 * old primary comes back writable on its old timeline (not rewound).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@org.junit.jupiter.api.extension.ExtendWith(io.pgroute.localcluster.DockerModeCondition.class)
class FailoverIT {

    private static LocalCluster cluster;
    private static PgrouteServer server;
    /** Connected before the failover, and used after it. */
    private static Connection before;

    @BeforeAll
    static void start() throws Exception {
        cluster = LocalCluster.builder().replicas(2).redis(true).start();
        DemoCluster.seed(cluster);
        cluster.execute(DemoCluster.DATABASE, "CREATE TABLE events (id int PRIMARY KEY, note text)",
                "ALTER TABLE events OWNER TO app");
        server = new PgrouteServer(ConfigLoader.parse(yaml("500ms"), "failover.yaml", System::getenv), 1).start();
        before = ProxyFixture.connect(server);
    }

    @AfterAll
    static void stop() throws Exception {
        if (before != null) {
            before.close();
        }
        if (server != null) {
            server.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void writesGoToThePromotedReplicaForEveryClient() throws Exception {
        PgNode primary = cluster.primary();
        PgNode promoted = cluster.replicas().get(0);
        try (Statement s = before.createStatement()) {
            assertThat(writeAnsweredBy(s, 1)).as("before the failover: the configured primary")
                    .isEqualTo(primary.port());
            // cached (once the catalog is read and no write of the session is pending)
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> cachedRead(s).equals(List.of(0L, 2L)));
        }
        cluster.awaitReplication(Duration.ofSeconds(30));
        awaitEligibleReplicas(2);
        // a client in the middle of a transaction on the primary when it stops
        Connection inTransaction = ProxyFixture.connect(server);
        Statement open = inTransaction.createStatement();
        open.execute("BEGIN");
        open.execute("INSERT INTO events VALUES (100, 'never committed')");

        long stopping = System.nanoTime();
        cluster.stop(primary);
        long stopped = System.nanoTime();
        try (inTransaction; open) {
            // as against PostgreSQL: the server's FATAL (a fast shutdown terminates the session) and the connection
            // closed, or the connection found closed; never a hang, never the transaction continued elsewhere
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> open.execute("COMMIT"))
                    .isInstanceOf(SQLException.class)
                    .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isIn("57P01", "08006", "08003"));
        }
        try (Connection direct = DriverManager.getConnection(promoted.jdbcUrl("postgres"), cluster.superuser(),
                cluster.superuserPassword()); Statement s = direct.createStatement()) {
            s.execute("SELECT pg_promote(true, 30)");
        }
        long promotedAt = System.nanoTime();

        // the client connected before the failover: its writes fail while no node takes them, then go to the new one
        List<String> errors = new ArrayList<>();
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
            try (Statement s = before.createStatement()) {
                return writeAnsweredBy(s, 2) == promoted.port();
            } catch (SQLException e) {
                errors.add(e.getSQLState());
                return false;
            }
        });
        long written = System.nanoTime();
        System.out.printf("failover: stop took %d ms, promotion %d ms, first write on the new primary %d ms after"
                + " the promotion returned; SQLSTATEs the client saw meanwhile: %s%n", (stopped - stopping) / 1_000_000,
                (promotedAt - stopped) / 1_000_000, (written - promotedAt) / 1_000_000, errors);
        assertThat(before.isValid(2)).as("the client connected before the failover is still connected").isTrue();
        try (Connection after = ProxyFixture.connect(server); Statement s = after.createStatement();
             Connection direct = DriverManager.getConnection(promoted.jdbcUrl("app"), "app", "app")) {
            // COMPAT P1: what a client is told at login is the new primary's (in_hot_standby off, its version…)
            assertThat(after.unwrap(org.postgresql.PGConnection.class).getParameterStatuses())
                    .containsAllEntriesOf(direct.unwrap(org.postgresql.PGConnection.class).getParameterStatuses())
                    .containsEntry("in_hot_standby", "off");
            assertThat(writeAnsweredBy(s, 3)).as("a new client writes on the promoted node")
                    .isEqualTo(promoted.port());
            // read-your-writes across the failover: the rows written before and after it, whoever answers
            assertThat(ids(s)).as("the transaction cut by the stop was not committed").containsExactly(1, 2, 3);
        }
        try (Statement s = before.createStatement()) {
            // with asynchronous replication the new primary may lack writes the cached results show: all dropped
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> cacheCounter("invalidations") > 0);
            assertThat(cachedRead(s).get(0)).as("misses: the cached result was dropped with the failover")
                    .isEqualTo(1L);
        }
        ClusterState state = server.routing("app").monitor().state();
        assertThat(state.primary().name()).isEqualTo("replica1");
        assertThat(state.primary().port()).isEqualTo(promoted.port());
        assertThat(state.node("primary").health()).isEqualTo(Health.DOWN);
        assertThat(server.routing("app").monitor().primaryChanges()).isEqualTo(1);
        try (Connection admin = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + server.port()
                + "/pgroute?preferQueryMode=simple", "admin", "admin");
             Statement s = admin.createStatement();
             ResultSet rows = s.executeQuery("SHOW NODES")) {
            List<String> seen = new ArrayList<>();
            while (rows.next()) {
                seen.add(rows.getString("node") + " " + rows.getString("role") + " " + rows.getString("state"));
            }
            assertThat(seen).contains("replica1 primary up", "primary replica down");
        }
    }

    /**
     * The old primary starts again as it was, writable on timeline 1, while the promoted node is on timeline 2 (a
     * split brain an HA tool would have prevented by rewinding it): pgroute writes only to the newest timeline, and
     * the old primary takes no reads either.
     */
    @Test
    @Order(2)
    void anOldPrimaryBackOnItsOldTimelineTakesNothing() throws Exception {
        PgNode old = cluster.primary();
        PgNode promoted = cluster.replicas().get(0);
        cluster.start(old);
        MonitorAwait.until(server, state -> {
            NodeState node = state.node("primary");
            return node.health() == Health.UP && !node.eligible()
                    && node.lastError() != null && node.lastError().contains("writable on timeline 1");
        });
        try (Connection c = ProxyFixture.connect(server); Statement s = c.createStatement()) {
            for (int id = 10; id < 20; id++) {
                assertThat(writeAnsweredBy(s, id)).as("write %d", id).isEqualTo(promoted.port());
                try (ResultSet rows = s.executeQuery("SELECT inet_server_port() FROM events WHERE id = " + id)) {
                    assertThat(rows.next()).as("read of row %d", id).isTrue();
                    assertThat(rows.getInt(1)).as("never the old primary").isNotEqualTo(old.port());
                }
            }
        }
        assertThat(server.routing("app").monitor().state().primary().name()).isEqualTo("replica1");
    }

    /**
     * An online reload starts a new monitor for the database: it keeps the primary found before instead of starting
     * from the configured one (writable on its old timeline here), and the cache is not dropped again.
     */
    @Test
    @Order(3)
    void aReloadKeepsThePrimaryFoundBefore() throws Exception {
        PgNode promoted = cluster.replicas().get(0);
        server.reload(ConfigLoader.parse(yaml("600ms"), "failover.yaml", System::getenv));
        NodeMonitor monitor = server.routing("app").monitor();
        assertThat(monitor.state().primary().name()).as("from the first state on").isEqualTo("replica1");
        try (Connection c = ProxyFixture.connect(server); Statement s = c.createStatement()) {
            assertThat(writeAnsweredBy(s, 30)).isEqualTo(promoted.port());
        }
        long invalidations = cacheCounter("invalidations");  // the write's own table bump counted
        Thread.sleep(300);  // some rounds of samples
        assertThat(monitor.state().primary().name()).isEqualTo("replica1");
        assertThat(monitor.primaryChanges()).as("no change seen by the new monitor").isZero();
        assertThat(server.routing("app").primaryChanges()).as("pgroute_primary_changes_total across the reload")
                .isEqualTo(1);
        assertThat(cacheCounter("invalidations")).as("no epoch bump").isEqualTo(invalidations);
    }

    /**
     * A pgroute started after the failover with the proxy.yaml of before (its primary writable on the old timeline):
     * its very first client writes on the promoted node, not on the configured one (start waits for the first round
     * of probes).
     */
    @Test
    @Order(4)
    void aProxyStartedAfterTheFailoverWritesOnThePromotedNodeFromItsFirstClient() throws Exception {
        PgNode promoted = cluster.replicas().get(0);
        try (PgrouteServer fresh = new PgrouteServer(ConfigLoader.parse(yaml("500ms"), "stale.yaml",
                System::getenv), 1).start()) {
            assertThat(fresh.routing("app").monitor().state().primary().name())
                    .as("decided before the first client is accepted").isEqualTo("replica1");
            try (Connection c = ProxyFixture.connect(fresh); Statement s = c.createStatement()) {
                assertThat(writeAnsweredBy(s, 40)).isEqualTo(promoted.port());
            }
        }
    }

    private static String yaml(String maxLag) {
        String cache = "  enabled: true\n  redis: " + cluster.redis().orElseThrow().uri() + "\n  timeout: 500ms\n";
        return ProxyFixture.yaml(cluster, Map.of("routing", "  max_lag: " + maxLag + "\n  health_interval: 200ms",
                "cache", cache));
    }

    /**
     * Inserts row {@code id} and returns the port of the server that ran it (one transaction), which must not be in
     * recovery.
     */
    private static int writeAnsweredBy(Statement s, int id) throws SQLException {
        s.execute("BEGIN");
        try {
            s.execute("INSERT INTO events VALUES (" + id + ", 'written') ON CONFLICT (id) DO NOTHING");
            int port;
            try (ResultSet rows = s.executeQuery("SELECT inet_server_port(), pg_is_in_recovery()")) {
                rows.next();
                port = rows.getInt(1);
                assertThat(rows.getBoolean(2)).as("the node that took write %d is in recovery", id).isFalse();
            }
            s.execute("COMMIT");
            return port;
        } catch (SQLException e) {
            try {
                s.execute("ROLLBACK");
            } catch (SQLException ignored) {
                // the connection may be gone with the server
            }
            throw e;
        }
    }

    /**
     * Reads a product twice; returns how many lookups of the result cache missed and hit meanwhile (a miss then a hit
     * when nothing was cached, two hits when it was).
     */
    private static List<Long> cachedRead(Statement s) throws SQLException {
        long misses = cacheCounter("misses");
        long hits = cacheCounter("hits");
        for (int i = 0; i < 2; i++) {
            try (ResultSet rows = s.executeQuery("SELECT name FROM products WHERE id = 1")) {
                assertThat(rows.next()).isTrue();
                assertThat(rows.getString(1)).isEqualTo("Espresso cup");
            }
        }
        return List.of(cacheCounter("misses") - misses, cacheCounter("hits") - hits);
    }

    private static long cacheCounter(String column) throws SQLException {
        try (Connection admin = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + server.port()
                + "/pgroute?preferQueryMode=simple", "admin", "admin");
             Statement s = admin.createStatement();
             ResultSet rows = s.executeQuery("SHOW CACHE")) {
            rows.next();
            return rows.getLong(column);
        }
    }

    private static List<Integer> ids(Statement s) throws SQLException {
        List<Integer> result = new ArrayList<>();
        try (ResultSet rows = s.executeQuery("SELECT id FROM events ORDER BY id")) {
            while (rows.next()) {
                result.add(rows.getInt(1));
            }
        }
        return result;
    }

    private static void awaitEligibleReplicas(int count) {
        MonitorAwait.until(server, state -> state.replicas().stream().filter(NodeState::eligible).count() == count);
    }

    /** Waits (at most 30 s) until the monitor's state satisfies a condition. */
    private static final class MonitorAwait {
        static void until(PgrouteServer server, java.util.function.Predicate<ClusterState> condition) {
            Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                    .until(() -> condition.test(server.routing("app").monitor().state()));
        }
    }
}
