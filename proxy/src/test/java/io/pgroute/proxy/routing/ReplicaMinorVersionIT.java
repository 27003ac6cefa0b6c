package io.pgroute.proxy.routing;

import io.pgroute.config.ConfigLoader;
import io.pgroute.localcluster.ClusterMode;
import io.pgroute.localcluster.DockerModeCondition;
import io.pgroute.localcluster.LocalCluster;
import io.pgroute.localcluster.PgNode;
import io.pgroute.proxy.demo.DemoCluster;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postgresql.PGConnection;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * COMPAT P4: one {@code server_version}, whatever release the replicas run. During a rolling minor upgrade a replica
 * runs another minor than the primary: through pgroute the login's {@code server_version}, {@code SHOW
 * server_version} and {@code version()} still agree (the primary's), reads still go to that replica, and the
 * replica's restart on the other release, while clients read, breaks none of them. The other minor's binaries come
 * from the jar the system property {@code pgroute.postgres.other-minor} names ({@code mvn verify} copies one; skipped
 * without it, and when its major is not the cluster's, as in the pass against a second major).
 */
@ExtendWith(DockerModeCondition.class)
class ReplicaMinorVersionIT {

    private static final Pattern JAR_VERSION = Pattern.compile("-(\\d+)\\.(\\d+)\\.\\d+\\.jar$");

    @Test
    void aReplicaOnAnotherMinorReleaseChangesNothingClientsSee() throws Exception {
        String property = System.getProperty("pgroute.postgres.other-minor");
        assumeTrue(property != null && Files.isRegularFile(Path.of(property)),
                "no jar of another minor release (-Dpgroute.postgres.other-minor)");
        Path otherMinor = Path.of(property);
        Matcher jarVersion = JAR_VERSION.matcher(otherMinor.getFileName().toString());
        assertThat(jarVersion.find()).as(otherMinor.toString()).isTrue();
        try (LocalCluster cluster = LocalCluster.builder().replicas(1).redis(false).start()) {
            assumeTrue(cluster.mode() == ClusterMode.EMBEDDED, "a container runs its image's one release");
            DemoCluster.seed(cluster);  // the app database and user
            cluster.awaitReplication(Duration.ofSeconds(30));
            String primaryVersion = version(cluster.primary());
            assumeTrue(primaryVersion.startsWith(jarVersion.group(1) + "."), "the other minor's major "
                    + jarVersion.group(1) + " is not the cluster's (" + primaryVersion + ")");
            assumeTrue(!primaryVersion.equals(jarVersion.group(1) + "." + jarVersion.group(2)),
                    "the jar holds the cluster's own release");
            PgNode replica = cluster.replicas().get(0);
            String yaml = ProxyFixture.yaml(cluster, Map.of("routing", "  health_interval: 200ms"));
            try (PgrouteServer server = new PgrouteServer(ConfigLoader.parse(yaml, "minor.yaml", System::getenv), 1)
                    .start()) {
                awaitReplicaEligible(server);
                // the replica's minor upgrade, while clients read
                AtomicBoolean stop = new AtomicBoolean();
                ExecutorService readers = Executors.newFixedThreadPool(4);
                List<CompletableFuture<Integer>> reads = new ArrayList<>();
                try {
                    for (int i = 0; i < 4; i++) {
                        reads.add(CompletableFuture.supplyAsync(() -> readUntil(server, stop, primaryVersion),
                                readers));
                    }
                    Thread.sleep(300);
                    cluster.restartOn(replica, otherMinor);
                    awaitReplicaEligible(server);
                    Thread.sleep(300);
                    stop.set(true);
                    for (CompletableFuture<Integer> each : reads) {
                        assertThat(each.get(30, TimeUnit.SECONDS)).as("reads of one client").isPositive();
                    }
                } finally {
                    stop.set(true);
                    readers.shutdownNow();
                    assertThat(readers.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
                }
                assertThat(version(replica)).as("the replica's release").isEqualTo(jarVersion.group(1) + "."
                        + jarVersion.group(2));

                Set<Integer> answeredBy = new HashSet<>();
                for (int i = 0; i < 100; i++) {
                    try (Connection c = ProxyFixture.connect(server); Statement s = c.createStatement()) {
                        assertThat(c.unwrap(PGConnection.class).getParameterStatus("server_version"))
                                .as("login %d: ParameterStatus", i).isEqualTo(primaryVersion);
                        assertThat(c.getMetaData().getDatabaseProductVersion()).isEqualTo(primaryVersion);
                        assertThat(text(s, "SHOW server_version")).as("login %d", i).isEqualTo(primaryVersion);
                        assertThat(text(s, "SELECT version()")).as("login %d", i)
                                .startsWith("PostgreSQL " + primaryVersion + " ");
                        answeredBy.add(Integer.parseInt(text(s, "SELECT inet_server_port()")));
                    }
                }
                assertThat(answeredBy).as("reads of the 100 logins").contains(replica.port());
            }
        }
    }

    private static void awaitReplicaEligible(PgrouteServer server) {
        Awaitility.await("the replica taking reads").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                .until(() -> server.routing("app").monitor().state().replicas().stream().allMatch(NodeState::eligible));
    }

    /**
     * Reads on one connection until {@code stop}, each checked (the release the client sees, a row back); a failure
     * fails the client. Returns how many it read.
     */
    private static int readUntil(PgrouteServer server, AtomicBoolean stop, String primaryVersion) {
        int count = 0;
        try (Connection c = ProxyFixture.connect(server); Statement s = c.createStatement()) {
            while (!stop.get()) {
                assertThat(text(s, "SELECT count(*) FROM generate_series(1, 10)")).isEqualTo("10");
                assertThat(text(s, "SHOW server_version")).isEqualTo(primaryVersion);
                count++;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("a client's read failed: " + e.getSQLState() + " " + e.getMessage(), e);
        }
        return count;
    }

    /** The server's {@code server_version}, asked directly. */
    private static String version(PgNode node) throws SQLException {
        try (Connection c = DriverManager.getConnection(node.jdbcUrl("app"), "app", "app");
             Statement s = c.createStatement()) {
            return text(s, "SHOW server_version");
        }
    }

    private static String text(Statement statement, String sql) throws SQLException {
        try (ResultSet rs = statement.executeQuery(sql)) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        }
    }
}
