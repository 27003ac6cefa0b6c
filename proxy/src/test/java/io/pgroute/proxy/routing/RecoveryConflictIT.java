package io.pgroute.proxy.routing;

import io.pgroute.config.ConfigLoader;
import io.pgroute.localcluster.LocalCluster;
import io.pgroute.proxy.demo.DemoCluster;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * COMPAT R3: a replica cancels a query that holds up the replay of the primary's WAL (here an ALTER TABLE's lock,
 * past {@code max_standby_streaming_delay}) with 40001 "canceling statement due to conflict with recovery". Such a
 * read had sent the client nothing yet, so pgroute runs it again on the primary: the client gets its row and no
 * error, as it would have from a single server.
 */
class RecoveryConflictIT {

    private static LocalCluster cluster;
    private static PgrouteServer server;

    @BeforeAll
    static void start() throws Exception {
        cluster = LocalCluster.builder().replicas(1).redis(false).setting("max_standby_streaming_delay", "200ms")
                .start();
        DemoCluster.seed(cluster);
        cluster.execute("app", "CREATE TABLE conflicted (id int PRIMARY KEY)",
                "INSERT INTO conflicted SELECT generate_series(1, 100)", "ALTER TABLE conflicted OWNER TO app");
        cluster.awaitReplication(Duration.ofSeconds(20));
        server = new PgrouteServer(ConfigLoader.parse(ProxyFixture.yaml(cluster, Map.of()), "conflict.yaml",
                System::getenv), 1).start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aReadTheReplicaCancelsForRecoveryRunsAgainOnThePrimary() throws Exception {
        try (Connection client = ProxyFixture.connect(server); Statement s = client.createStatement()) {
            // a read with no volatile function (those go to the primary), of about 3 s here with 100 rounds
            String shape = "SELECT count(DISTINCT a.id) || ' ' || pg_is_in_recovery()"
                    + " FROM conflicted a, conflicted b, conflicted c, generate_series(1, %d)";
            assertThat(text(s, String.format(shape, 1))).as("without a conflict: the replica answers")
                    .isEqualTo("100 true");
            String slow = String.format(shape, 100);
            CompletableFuture<String> read = CompletableFuture.supplyAsync(() -> {
                try {
                    return text(s, slow);
                } catch (SQLException e) {
                    return "error " + e.getSQLState() + " " + e.getMessage();
                }
            });
            Thread.sleep(500);  // the read holds its lock on the replica
            cluster.execute("app", "ALTER TABLE conflicted ADD COLUMN note text");  // on the primary, as its owner
            assertThat(read.get(30, TimeUnit.SECONDS)).as("the read's answer").isEqualTo("100 false");
        }
    }

    private static String text(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        }
    }
}
