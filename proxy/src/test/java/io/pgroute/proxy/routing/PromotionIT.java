package io.pgroute.proxy.routing;

import io.pgroute.config.ConfigLoader;
import io.pgroute.localcluster.LocalCluster;
import io.pgroute.localcluster.PgNode;
import io.pgroute.proxy.demo.DemoCluster;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code routing.promote_after}: two pgroute instances sharing a Redis watch the same cluster; the primary stops,
 * and after the delay exactly one replica is promoted (the instances take a lock in Redis), both send their writes to
 * it, and the other replica is pointed at it (with the least privileges that takes, not a superuser), replays the
 * writes made there and takes reads again.
 */
@org.junit.jupiter.api.extension.ExtendWith(io.pgroute.localcluster.DockerModeCondition.class)
class PromotionIT {

    @Test
    void oneReplicaIsPromotedOnceThePrimaryIsDownLongEnoughAndBothInstancesWriteThere() throws Exception {
        try (LocalCluster cluster = LocalCluster.builder().replicas(2).redis(true).start()) {
            prepare(cluster);
            String cache = "  enabled: true\n  redis: " + cluster.redis().orElseThrow().uri() + "\n  timeout: 500ms\n";
            String yaml = ProxyFixture.yaml(cluster, Map.of("cache", cache,
                    "routing", "  promote_after: 1s\n  health_interval: 200ms"));
            try (PgrouteServer first = new PgrouteServer(ConfigLoader.parse(yaml, "a.yaml", System::getenv), 1)
                    .start();
                 PgrouteServer second = new PgrouteServer(ConfigLoader.parse(yaml, "b.yaml", System::getenv), 1)
                         .start()) {
                Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> eligible(first) && eligible(second));
                long stopped = System.nanoTime();
                cluster.stop(cluster.primary());

                int port = awaitWrite(first, 1);
                long millis = (System.nanoTime() - stopped) / 1_000_000;
                System.out.printf("promotion: first write on the promoted replica %d ms after the primary stopped%n",
                        millis);
                assertThat(millis).as("not before promote_after").isGreaterThanOrEqualTo(1_000);
                assertThat(awaitWrite(second, 2)).as("the other instance writes there too").isEqualTo(port);

                List<Integer> writable = new ArrayList<>();
                for (PgNode each : cluster.replicas()) {
                    try (Connection c = DriverManager.getConnection(each.jdbcUrl("app"), "app", "app");
                         Statement s = c.createStatement();
                         ResultSet rows = s.executeQuery("SELECT pg_is_in_recovery()")) {
                        rows.next();
                        if (!rows.getBoolean(1)) {
                            writable.add(each.port());
                        }
                    }
                }
                assertThat(writable).as("exactly one replica promoted, the one both write to").containsExactly(port);
                Thread.sleep(1_500);  // longer than promote_after: nobody promotes another one
                assertThat(first.routing("app").monitor().primaryChanges()).isEqualTo(1);
                assertThat(second.routing("app").monitor().primaryChanges()).isEqualTo(1);
                try (Connection c = ProxyFixture.connect(first); Statement s = c.createStatement();
                     ResultSet rows = s.executeQuery("SELECT count(*) FROM events")) {
                    rows.next();
                    assertThat(rows.getInt(1)).isEqualTo(2);
                }

                // the replica that was not promoted streams from the promoted one and replays what was written there
                PgNode other = cluster.replicas().stream().filter(each -> each.port() != port).findFirst()
                        .orElseThrow();
                awaitFollowing(cluster, other, port, 2);
                // and pgroute sends reads there again once the monitor sees it caught up
                awaitReadOn(first, other.port());
            }
        }
    }

    /**
     * A replica that is down when pgroute promotes another is pointed at the promoted one when it comes back (it had
     * replayed no further), streams from it and takes reads again.
     */
    @Test
    void aReplicaThatWasDownAtThePromotionIsPointedAtTheNewPrimaryWhenItIsBack() throws Exception {
        try (LocalCluster cluster = LocalCluster.builder().replicas(2).redis(false).start()) {
            prepare(cluster);
            String yaml = ProxyFixture.yaml(cluster, Map.of("routing", "  promote_after: 1s\n  health_interval: 200ms"));
            try (PgrouteServer server = new PgrouteServer(ConfigLoader.parse(yaml, "p.yaml", System::getenv), 1)
                    .start()) {
                Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> eligible(server));
                PgNode late = cluster.replicas().get(1);
                // the late replica streams through a replication slot: the promoted node needs one of that name
                cluster.execute("app", "SELECT pg_create_physical_replication_slot('late_slot')");
                superuser(cluster, late, "ALTER SYSTEM SET primary_slot_name = 'late_slot'", "SELECT pg_reload_conf()");
                Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> slotActive(cluster, cluster.primary()));
                cluster.stop(late);
                cluster.stop(cluster.primary());
                int port = awaitWrite(server, 1);
                assertThat(port).as("the replica that was up is promoted").isEqualTo(cluster.replicas().get(0).port());

                cluster.start(late);
                awaitFollowing(cluster, late, port, 1);
                assertThat(slotActive(cluster, cluster.replicas().get(0))).as("late_slot, created on the promoted node "
                        + "and streaming").isTrue();
                awaitReadOn(server, late.port());
            }
        }
    }

    /**
     * The demo's tables, an {@code events} table, and what promoting and repointing take for the database's role
     * (not a superuser): {@code pg_promote}, reading and setting {@code primary_conninfo}, reloading.
     */
    private static void prepare(LocalCluster cluster) {
        DemoCluster.seed(cluster);
        cluster.execute(DemoCluster.DATABASE, "CREATE TABLE events (id int PRIMARY KEY, note text)",
                "ALTER TABLE events OWNER TO app",
                "GRANT EXECUTE ON FUNCTION pg_promote(boolean, integer) TO app",
                "GRANT pg_read_all_settings TO app",
                "GRANT ALTER SYSTEM ON PARAMETER primary_conninfo TO app",
                "GRANT EXECUTE ON FUNCTION pg_reload_conf() TO app",
                "ALTER ROLE app REPLICATION");  // to create a replica's slot on the promoted node
        cluster.awaitReplication(Duration.ofSeconds(30));
    }

    /** Runs {@code sql} on {@code node} as the cluster's superuser. */
    private static void superuser(LocalCluster cluster, PgNode node, String... sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(node.jdbcUrl("app"), cluster.superuser(),
                cluster.superuserPassword()); Statement s = c.createStatement()) {
            for (String each : sql) {
                s.execute(each);
            }
        }
    }

    /** Whether {@code node} has the replication slot {@code late_slot} and a standby streams through it. */
    private static boolean slotActive(LocalCluster cluster, PgNode node) throws SQLException {
        try (Connection c = DriverManager.getConnection(node.jdbcUrl("app"), cluster.superuser(),
                cluster.superuserPassword()); Statement s = c.createStatement();
             ResultSet found = s.executeQuery("SELECT coalesce(bool_or(active), false) FROM pg_replication_slots"
                     + " WHERE slot_name = 'late_slot'")) {
            found.next();
            return found.getBoolean(1);
        }
    }

    /** Waits until {@code replica} streams from the node on {@code port} and has replayed {@code rows} events. */
    private static void awaitFollowing(LocalCluster cluster, PgNode replica, int port, int rows) {
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .ignoreExceptions().untilAsserted(() -> {
                    try (Connection c = DriverManager.getConnection(replica.jdbcUrl("app"), cluster.superuser(),
                            cluster.superuserPassword());
                         Statement s = c.createStatement();
                         ResultSet found = s.executeQuery("SELECT (SELECT sender_port FROM pg_stat_wal_receiver),"
                                 + " (SELECT count(*) FROM events), pg_is_in_recovery()")) {
                        found.next();
                        assertThat(found.getInt(1)).as("the port it streams from").isEqualTo(port);
                        assertThat(found.getInt(2)).as("rows written after the promotion").isEqualTo(rows);
                        assertThat(found.getBoolean(3)).isTrue();
                    }
                });
    }

    /** Waits until a read through {@code server} is answered by the node on {@code port}. */
    private static void awaitReadOn(PgrouteServer server, int port) {
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
            try (Connection c = ProxyFixture.connect(server); Statement s = c.createStatement();
                 ResultSet found = s.executeQuery("SELECT inet_server_port() FROM events LIMIT 1")) {
                found.next();
                return found.getInt(1) == port;
            }
        });
    }

    private static boolean eligible(PgrouteServer server) {
        return server.routing("app").monitor().state().replicas().stream().allMatch(NodeState::eligible);
    }

    /** Retries a write through {@code server} until it commits (at most 30 s); the port of the node that ran it. */
    private static int awaitWrite(PgrouteServer server, int id) {
        int[] port = new int[1];
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
            try (Connection c = ProxyFixture.connect(server); Statement s = c.createStatement()) {
                s.execute("BEGIN");
                s.execute("INSERT INTO events VALUES (" + id + ", 'after')");
                try (ResultSet rows = s.executeQuery("SELECT inet_server_port()")) {
                    rows.next();
                    port[0] = rows.getInt(1);
                }
                s.execute("COMMIT");
                return true;
            } catch (SQLException e) {
                return false;
            }
        });
        return port[0];
    }
}
