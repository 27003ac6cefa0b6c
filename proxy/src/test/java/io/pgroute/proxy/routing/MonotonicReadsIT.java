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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Monotonic reads with {@code consistency: causal} (and {@code global}) and no help from the replicas: one replica's replay is paused
 * (it stays eligible under a long max_lag) while a writer keeps bumping a counter on the primary, and a session
 * reading the counter through pgroute, with and without pauses between reads, never sees it go down. The same
 * reads with {@code consistency: eventual} do go back in time, which shows the scenario is a real trap.
 */
class MonotonicReadsIT {

    private static final int READS = 300;

    @Test
    void causalReadsNeverGoBackInTimeAcrossReplicasAtDifferentPositions() throws Exception {
        assertNeverBackwards("causal");
    }

    @Test
    void globalReadsNeverGoBackInTimeEither() throws Exception {
        assertNeverBackwards("global");
    }

    private static void assertNeverBackwards(String consistency) throws Exception {
        Outcome outcome = run(consistency);
        assertThat(outcome.backwards()).as("reads that showed an older counter than the one before: %s",
                outcome.trace()).isEmpty();
        assertThat(outcome.replicaReads()).as("reads answered by a replica").isGreaterThan(READS / 2);
    }

    @Test
    void eventualReadsDoGoBackInTimeInTheSameScenario() throws Exception {
        Outcome outcome = run("eventual");
        assertThat(outcome.backwards()).as("the paused replica shows an old counter between the others' answers")
                .isNotEmpty();
    }

    private record Outcome(List<String> backwards, int replicaReads, List<String> trace) {
    }

    private static Outcome run(String consistency) throws Exception {
        LocalCluster cluster = ProxyFixture.get().cluster();
        PgNode paused = cluster.replicas().get(0);
        try (Connection direct = ProxyFixture.get().connectDirect(); Statement s = direct.createStatement()) {
            s.execute("DROP TABLE IF EXISTS monotonic_counter");
            s.execute("CREATE TABLE monotonic_counter (v bigint NOT NULL)");
            s.execute("INSERT INTO monotonic_counter VALUES (0)");
        }
        cluster.awaitReplication(Duration.ofSeconds(10));
        String routing = "  consistency: " + consistency + "\n  max_lag: 10m\n  max_lag_bytes: 0\n"
                + "  balance: round-robin";
        String yaml = ProxyFixture.yaml(cluster, Map.of("routing", routing));
        try (PgrouteServer server = new PgrouteServer(ConfigLoader.parse(yaml, "monotonic.yaml", System::getenv), 1)
                .start()) {
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> server.routing("app").monitor().state()
                    .replicas().stream().allMatch(NodeState::eligible));
            replay(paused, "pg_wal_replay_pause()");
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicReference<Throwable> writerFailure = new AtomicReference<>();
            Thread writer = new Thread(() -> {
                try (Connection c = ProxyFixture.get().connectDirect(); Statement s = c.createStatement()) {
                    while (writing.get()) {
                        s.executeUpdate("UPDATE monotonic_counter SET v = v + 1");
                        Thread.sleep(3);
                    }
                } catch (Throwable e) {
                    writerFailure.set(e);
                }
            }, "monotonic-writer");
            writer.start();
            List<String> backwards = new ArrayList<>();
            List<String> trace = new ArrayList<>();
            int replicaReads = 0;
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + server.port() + "/app",
                    "app", "app"); Statement s = c.createStatement()) {
                Thread.sleep(100);  // the paused replica falls behind
                long last = -1;
                for (int i = 0; i < READS; i++) {
                    try (ResultSet rs = s.executeQuery("SELECT v, inet_server_port() FROM monotonic_counter")) {
                        rs.next();
                        long value = rs.getLong(1);
                        int port = rs.getInt(2);
                        if (port != cluster.primary().port()) {
                            replicaReads++;
                        }
                        String step = value + "@" + port;
                        trace.add(step);
                        if (value < last) {
                            backwards.add("read " + i + ": " + last + " then " + step);
                        }
                        last = Math.max(last, value);
                    }
                    // back to back, and with pauses longer than the monitor's interval (20 ms), so that both a
                    // session staying on its replica and one moved by a fresh sample are exercised
                    int pause = ThreadLocalRandom.current().nextInt(4) == 0 ? 30 : 0;
                    if (pause > 0) {
                        Thread.sleep(pause);
                    }
                }
            } finally {
                writing.set(false);
                writer.join(10_000);
                replay(paused, "pg_wal_replay_resume()");
            }
            assertThat(writerFailure.get()).isNull();
            return new Outcome(backwards, replicaReads, trace.size() > 60 ? trace.subList(0, 60) : trace);
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
