package io.pgroute.proxy.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgroute.config.ConfigLoader;
import io.pgroute.localcluster.LocalCluster;
import io.pgroute.localcluster.PgNode;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The node monitor samples only every health_interval while no read could use a replica
 * ({@code routing.lag_idle_after}), and the first read after that waits for one fresh round instead of going to the
 * primary for want of a sample after the last write, or reading on samples a second old.
 */
class IdleMonitorIT {

    @Test
    void sleepsWithoutReadsAndTheFirstReadAfterAWriteWaitsForFreshSamplesThenReadsItOnAReplica() throws Exception {
        LocalCluster cluster = ProxyFixture.get().cluster();
        try (Connection direct = ProxyFixture.get().connectDirect(); Statement s = direct.createStatement()) {
            s.execute("DROP TABLE IF EXISTS idle_monitor");
            s.execute("CREATE TABLE idle_monitor (id int PRIMARY KEY, v int)");
            s.execute("INSERT INTO idle_monitor VALUES (1, 41)");
        }
        cluster.awaitReplication(Duration.ofSeconds(10));
        Set<Integer> replicaPorts = cluster.replicas().stream().map(PgNode::port).collect(Collectors.toSet());
        String yaml = ProxyFixture.yaml(cluster, Map.of("routing", "  lag_idle_after: 300ms\n  health_interval: 5s"));
        try (PgrouteServer server = new PgrouteServer(ConfigLoader.parse(yaml, "idle.yaml", System::getenv), 1)
                .start();
             Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + server.port() + "/app",
                     "app", "app");
             Statement s = c.createStatement()) {
            NodeMonitor monitor = server.routing("app").monitor();
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> monitor.state().replicas().stream()
                    .allMatch(NodeState::eligible));
            Answer awake = read(s);
            assertThat(awake.value()).isEqualTo(41);
            assertThat(replicaPorts).as("a read while awake").contains(awake.port());

            Awaitility.await().atMost(Duration.ofSeconds(10)).until(monitor::sleeping);
            Thread.sleep(100);  // each node's last lag_interval tick, already due, still samples
            long asleep = monitor.state().primary().sampledNanos();
            Thread.sleep(400);  // twenty lag intervals
            assertThat(monitor.state().primary().sampledNanos()).as("no sample while asleep").isEqualTo(asleep);

            s.execute("UPDATE idle_monitor SET v = 42 WHERE id = 1");  // a write alone does not wake it
            assertThat(monitor.sleeping()).isTrue();
            cluster.awaitReplication(Duration.ofSeconds(10));
            long beforeRead = System.nanoTime();
            // without a fresh round no primary sample follows the write, so the read would go to the primary
            Answer first = read(s);
            assertThat(first.value()).as("read-your-writes").isEqualTo(42);
            assertThat(replicaPorts).as("the first read after idle, on a replica").contains(first.port());
            assertThat(monitor.sleeping()).isFalse();
            ClusterState woken = monitor.state();
            assertThat(woken.primary().sampledNanos() - beforeRead).as("primary sampled for the read").isPositive();
            assertThat(woken.replicas()).allSatisfy(replica -> assertThat(replica.sampledNanos() - beforeRead)
                    .as("%s sampled for the read", replica.name()).isPositive());
        }
    }

    /** The row's value and the port of the server that answered. */
    private record Answer(int value, int port) {
    }

    private static Answer read(Statement s) throws SQLException {
        try (ResultSet rs = s.executeQuery("SELECT v, inet_server_port() FROM idle_monitor WHERE id = 1")) {
            rs.next();
            return new Answer(rs.getInt(1), rs.getInt(2));
        }
    }
}
