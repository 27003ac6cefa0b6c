package io.pgroute.proxy.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgroute.config.DatabaseConfig;
import io.pgroute.config.NodeConfig;
import io.pgroute.config.RoutingConfig;
import io.pgroute.localcluster.LocalCluster;
import io.pgroute.localcluster.PgNode;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The node monitor against a real primary and two streaming replicas: eligibility, read-your-writes watermarks,
 * lag from paused replay, and a replica going down and coming back. The tests share one cluster and run in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@org.junit.jupiter.api.extension.ExtendWith(io.pgroute.localcluster.DockerModeCondition.class)
class NodeMonitorIT {

    private static final String DATABASE = "postgres";
    private static LocalCluster cluster;
    private static NodeMonitor monitor;
    private static DatabaseConfig database;
    private static final List<ClusterState> NOTIFIED = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void startClusterAndMonitor() throws Exception {
        cluster = LocalCluster.builder().replicas(2).redis(false).start();
        cluster.createUser("monitor", "monitor-pw");
        cluster.execute(DATABASE, "CREATE TABLE monitored (id serial PRIMARY KEY, note text)");
        List<NodeConfig> replicas = cluster.replicas().stream().map(each -> NodeConfig.of(each.host(), each.port()))
                .toList();
        database = DatabaseConfig.of(DATABASE,
                NodeConfig.of(cluster.primary().host(), cluster.primary().port()), replicas);
        RoutingConfig defaults = RoutingConfig.defaults();
        RoutingConfig routing = new RoutingConfig(defaults.consistency(), defaults.window(), Duration.ofMillis(200),
                defaults.maxLagBytes(), defaults.balance(), false, null, Duration.ofMillis(20),
                Duration.ofMillis(500), defaults.catalogRefresh(), Duration.ZERO, true, Duration.ZERO);  // never sleeps: samples every 20 ms
        monitor = new NodeMonitor(database, routing, "monitor", "monitor-pw");
        monitor.addListener(NOTIFIED::add);
        monitor.start();
    }

    @AfterAll
    static void stopMonitorAndCluster() {
        if (monitor != null) {
            monitor.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void bothReplicasBecomeEligibleNearThePrimaryPosition() {
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            ClusterState state = monitor.state();
            assertThat(state.primary().health()).isEqualTo(Health.UP);
            assertThat(state.replicas()).extracting(NodeState::name).containsExactly("replica1", "replica2");
            assertThat(state.replicas()).allSatisfy(each -> {
                assertThat(each.eligible()).as(each.toString()).isTrue();
                assertThat(state.primaryLsn() - each.replayLsn()).as(each.toString()).isLessThan(1 << 20);
                // what a streaming standby could show is bounded by the WAL it received, never below its replay
                assertThat(each.shownLsn()).as(each.toString()).isGreaterThanOrEqualTo(each.replayLsn())
                        .isLessThanOrEqualTo(state.primaryLsn() + (1 << 20));
            });
        });
        assertThat(monitor.state().primaryLsn()).isGreaterThan(Lsn.INVALID);
        // a primary could have shown what it inserted: a real position, at least what it wrote and not far past it
        NodeState primary = monitor.state().primary();
        assertThat(primary.shownLsn()).isGreaterThanOrEqualTo(primary.replayLsn())
                .isLessThan(primary.replayLsn() + (1 << 20));
    }

    @Test
    @Order(2)
    void watermarkOfAWriteAppearsQuicklyAndReplicasReachIt() throws SQLException {
        long commitLsn;
        long commitNanos;
        try (Connection connection = superuser(cluster.primary()); Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(
                        "INSERT INTO monitored (note) VALUES ('w') RETURNING pg_current_wal_insert_lsn()")) {
            rows.next();
            commitLsn = Lsn.parse(rows.getString(1));
            commitNanos = System.nanoTime();
        }
        assertThat(monitor.watermarkAfter(commitNanos + Duration.ofSeconds(10).toNanos())).isEmpty();

        await().atMost(Duration.ofMillis(250)).pollInterval(Duration.ofMillis(1))
                .until(() -> monitor.watermarkAfter(commitNanos).isPresent());
        long watermark = monitor.watermarkAfter(commitNanos).getAsLong();

        assertThat(watermark).isGreaterThanOrEqualTo(commitLsn);
        await().atMost(Duration.ofSeconds(2)).untilAsserted(() -> assertThat(monitor.state().replicas())
                .allSatisfy(each -> assertThat(each.replayLsn()).isGreaterThanOrEqualTo(watermark)));
    }

    @Test
    @Order(3)
    void pausedReplayMakesAReplicaIneligibleUntilItResumes() throws SQLException {
        PgNode replica1 = cluster.replicas().get(0);
        try (Connection connection = superuser(replica1); Statement statement = connection.createStatement()) {
            statement.execute("SELECT pg_wal_replay_pause()");
            try {
                long lagBefore = monitor.state().replicas().get(0).lagBytes();
                cluster.execute(DATABASE, "INSERT INTO monitored (note) SELECT 'paused' FROM generate_series(1, 1000)");

                await().atMost(Duration.ofSeconds(3)).untilAsserted(() -> {
                    NodeState lagging = monitor.state().replicas().get(0);
                    assertThat(lagging.lagBytes()).as(lagging.toString()).isGreaterThan(lagBefore);
                    assertThat(lagging.lagTime()).isGreaterThan(Duration.ofMillis(200));
                    assertThat(lagging.eligible()).isFalse();
                    assertThat(lagging.health()).isEqualTo(Health.UP);
                    // it keeps receiving: what it could show is bounded by that, past where replay stopped
                    assertThat(lagging.shownLsn()).isGreaterThan(lagging.replayLsn());
                });
                assertThat(monitor.state().replicas().get(1).eligible()).isTrue();
            } finally {
                statement.execute("SELECT pg_wal_replay_resume()");
            }
        }
        await().atMost(Duration.ofSeconds(3)).untilAsserted(() -> {
            NodeState resumed = monitor.state().replicas().get(0);
            assertThat(resumed.eligible()).as(resumed.toString()).isTrue();
        });
    }

    @Test
    @Order(4)
    void aStoppedReplicaIsDownAndComesBackWhenRestarted() {
        PgNode replica2 = cluster.replicas().get(1);
        NOTIFIED.clear();

        cluster.stop(replica2);
        await().atMost(Duration.ofSeconds(2)).untilAsserted(() -> {
            NodeState down = monitor.state().replicas().get(1);
            assertThat(down.health()).isEqualTo(Health.DOWN);
            assertThat(down.eligible()).isFalse();
            assertThat(down.lastError()).isNotBlank();
        });
        assertThat(monitor.state().replicas().get(0).eligible()).isTrue();
        assertThat(NOTIFIED).anySatisfy(each -> assertThat(each.replicas().get(1).health()).isEqualTo(Health.DOWN));

        cluster.start(replica2);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            NodeState up = monitor.state().replicas().get(1);
            assertThat(up.health()).isEqualTo(Health.UP);
            assertThat(up.eligible()).isTrue();
            assertThat(up.lastError()).isNull();
        });
    }

    @Test
    @Order(5)
    void reportsNoWatermarkBeforeAnySampleAfterTheCommit() {
        OptionalLong future = monitor.watermarkAfter(System.nanoTime() + Duration.ofMinutes(1).toNanos());

        assertThat(future).isEmpty();
    }

    @Test
    @Order(6)
    void aProbeThatStallsOnceDoesNotTakeTheNodeDown() throws Exception {
        PgNode replica1 = cluster.replicas().get(0);
        await().atMost(Duration.ofSeconds(5)).until(() -> monitor.state().replicas().get(0).health() == Health.UP);
        long pid = monitorBackend(replica1);
        NOTIFIED.clear();
        signal("STOP", pid);  // the server process answering the probe stops: its next query times out (1 s)
        try {
            assertUpFor(0, Duration.ofMillis(2_500), "replica1 while one probe stalls");
        } finally {
            signal("CONT", pid);
        }
        assertThat(NOTIFIED).noneSatisfy(each -> assertThat(each.replicas().get(0).health())
                .isEqualTo(Health.DOWN));
        try (Connection c = superuser(replica1); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE usename = 'monitor'"
                     + " AND pid <> " + pid)) {
            rs.next();
            assertThat(rs.getInt(1)).as("the probe went on over a new connection").isEqualTo(1);
        }
    }

    /**
     * An overloaded server: the probe's session stalls (its sample times out) and new sessions take longer than a
     * second to start (the postmaster is stopped for 2.5 s, so the confirming connection waits for it). It is slow,
     * not dead: it must stay UP. With a one-second login the confirming connection timed out and the node was DOWN.
     */
    @Test
    @Order(7)
    void aServerSlowToStartSessionsIsNotTakenForADeadOne() throws Exception {
        PgNode replica2 = cluster.replicas().get(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> monitor.state().replicas().get(1).health() == Health.UP);
        long probe = monitorBackend(replica2);
        long postmaster = replica2.postmasterPid();
        NOTIFIED.clear();
        signal("STOP", postmaster, probe);
        try {
            assertUpFor(1, Duration.ofMillis(2_500), "replica2 while it is slow");
        } finally {
            signal("CONT", postmaster, probe);
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            try (Connection c = superuser(replica2); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE usename = 'monitor'"
                         + " AND pid <> " + probe)) {
                rs.next();
                assertThat(rs.getInt(1)).as("the probe went on over a new connection").isEqualTo(1);
            }
        });
        assertThat(monitor.state().replicas().get(1).health()).isEqualTo(Health.UP);
        assertThat(NOTIFIED).noneSatisfy(each -> assertThat(each.replicas().get(1).health())
                .isEqualTo(Health.DOWN));
    }

    /**
     * A server that hangs for good (postmaster and the probe's session stopped): its sample times out (1 s), the
     * confirming connection gets no answer in its 5 s, and the node is DOWN, about 6 s after it hung; it is UP again
     * soon after it resumes.
     */
    @Test
    @Order(8)
    void aHungServerIsDownAfterItsTimeoutsAndUpAgainWhenItResumes() throws Exception {
        PgNode replica2 = cluster.replicas().get(1);
        await().atMost(Duration.ofSeconds(10)).until(() -> monitor.state().replicas().get(1).health() == Health.UP);
        long probe = monitorBackend(replica2);
        long postmaster = replica2.postmasterPid();
        long hung = System.nanoTime();
        signal("STOP", postmaster, probe);
        long down;
        try {
            await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(20))
                    .until(() -> monitor.state().replicas().get(1).health() == Health.DOWN);
            down = System.nanoTime();
            assertThat(monitor.state().replicas().get(0).health()).as("the other replica").isEqualTo(Health.UP);
        } finally {
            signal("CONT", postmaster, probe);
        }
        long resumed = System.nanoTime();
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(20))
                .until(() -> monitor.state().replicas().get(1).health() == Health.UP);
        System.out.printf("hung replica DOWN after %d ms, UP %d ms after it resumed%n",
                (down - hung) / 1_000_000, (System.nanoTime() - resumed) / 1_000_000);
        assertThat((down - hung) / 1_000_000).as("ms until DOWN: the sample's and the login's timeouts, not sooner")
                .isGreaterThanOrEqualTo(2_500);
    }

    /**
     * Without demand (no read that could use a replica) the monitor stops sampling every lag_interval; a demand then
     * gets a future that completes once every node has been sampled after it.
     */
    @Test
    @Order(9)
    void withoutDemandItSleepsAndADemandWaitsForOneFreshSampleOfEveryNode() throws Exception {
        RoutingConfig defaults = RoutingConfig.defaults();
        RoutingConfig sleepy = new RoutingConfig(defaults.consistency(), defaults.window(), defaults.maxLag(),
                defaults.maxLagBytes(), defaults.balance(), false, null, Duration.ofMillis(20), Duration.ofSeconds(5),
                defaults.catalogRefresh(), Duration.ofMillis(200), true, Duration.ZERO);
        try (NodeMonitor idle = new NodeMonitor(database, sleepy, "monitor", "monitor-pw").start()) {
            assertThat(idle.demand()).as("awake from the start").isNull();
            await().atMost(Duration.ofSeconds(5)).until(() -> idle.state().replicas().stream()
                    .allMatch(NodeState::eligible));
            await().atMost(Duration.ofSeconds(5)).until(idle::sleeping);
            Thread.sleep(100);  // each node's last lag_interval tick, already due, still samples
            long lastSample = idle.state().primary().sampledNanos();
            Thread.sleep(300);  // fifteen lag intervals, well within the health interval
            assertThat(idle.state().primary().sampledNanos()).as("sampled while asleep").isEqualTo(lastSample);

            long asked = System.nanoTime();
            java.util.concurrent.CompletableFuture<Void> fresh = idle.demand();
            assertThat(fresh).as("asleep: a round to wait for").isNotNull();
            fresh.get(5, java.util.concurrent.TimeUnit.SECONDS);
            System.out.printf("a demand on the sleeping monitor waited %d µs for a fresh round%n",
                    (System.nanoTime() - asked) / 1_000);
            ClusterState woken = idle.state();
            assertThat(woken.primary().sampledNanos() - asked).as("primary sampled after the demand").isPositive();
            assertThat(woken.replicas()).allSatisfy(each -> {
                assertThat(each.sampledNanos() - asked).as("%s sampled after the demand", each.name()).isPositive();
                assertThat(each.eligible()).as(each.toString()).isTrue();
            });
            assertThat(idle.sleeping()).isFalse();
            assertThat(idle.demand()).as("current again").isNull();
        }
    }

    /**
     * A replica that lags when the monitor falls asleep is seen to catch up while it sleeps: asleep, a replica may
     * leave the lagging state (SHOW NODES, metrics), only not enter it.
     */
    @Test
    @Order(10)
    void aReplicaLaggingWhenTheMonitorFallsAsleepIsEligibleAgainOnceItCatchesUp() throws Exception {
        RoutingConfig defaults = RoutingConfig.defaults();
        RoutingConfig sleepy = new RoutingConfig(defaults.consistency(), defaults.window(), Duration.ofMillis(200),
                defaults.maxLagBytes(), defaults.balance(), false, null, Duration.ofMillis(20), Duration.ofSeconds(1),
                defaults.catalogRefresh(), Duration.ofMillis(300), true, Duration.ZERO);
        PgNode replica1 = cluster.replicas().get(0);
        try (NodeMonitor idle = new NodeMonitor(database, sleepy, "monitor", "monitor-pw").start();
             Connection connection = superuser(replica1); Statement statement = connection.createStatement()) {
            statement.execute("SELECT pg_wal_replay_pause()");
            try {
                cluster.execute(DATABASE, "INSERT INTO monitored (note) SELECT 'asleep' FROM generate_series(1, 100)");
                await().atMost(Duration.ofSeconds(5)).until(() -> {
                    idle.demand();  // awake: lag is judged every lag_interval
                    NodeState replica = idle.state().replicas().get(0);
                    return replica.health() == Health.UP && !replica.eligible();
                });
                await().atMost(Duration.ofSeconds(5)).until(idle::sleeping);
                assertThat(idle.state().replicas().get(0).eligible()).as("still lagging, asleep").isFalse();
            } finally {
                statement.execute("SELECT pg_wal_replay_resume()");
            }
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                NodeState resumed = idle.state().replicas().get(0);
                assertThat(resumed.eligible()).as(resumed.toString()).isTrue();
            });
            assertThat(idle.sleeping()).as("caught up without a read").isTrue();
        }
    }

    /** The process id of the server process answering the monitor's probe of {@code node}: there is one. */
    private static long monitorBackend(PgNode node) throws SQLException {
        try (Connection c = superuser(node); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT pid FROM pg_stat_activity WHERE usename = 'monitor'")) {
            assertThat(rs.next()).as("the monitor's connection to %s", node.name()).isTrue();
            long pid = rs.getLong(1);
            assertThat(rs.next()).as("one monitor connection").isFalse();
            return pid;
        }
    }

    /** Replica {@code index} is UP at every look for {@code time}. */
    private static void assertUpFor(int index, Duration time, String what) throws InterruptedException {
        long until = System.nanoTime() + time.toNanos();
        while (System.nanoTime() < until) {
            assertThat(monitor.state().replicas().get(index).health()).as(what).isEqualTo(Health.UP);
            Thread.sleep(5);
        }
    }

    private static void signal(String name, long... pids) throws Exception {
        io.pgroute.proxy.testing.Signals.send(name, java.util.Arrays.stream(pids).boxed().toList());
    }

    private static Connection superuser(PgNode node) throws SQLException {
        return DriverManager.getConnection(node.jdbcUrl(DATABASE), cluster.superuser(), cluster.superuserPassword());
    }
}
