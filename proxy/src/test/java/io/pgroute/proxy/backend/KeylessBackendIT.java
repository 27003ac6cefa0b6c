package io.pgroute.proxy.backend;

import io.pgroute.config.ConfigLoader;
import io.pgroute.localcluster.LocalCluster;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.KeylessRelay;
import io.pgroute.proxy.testing.TcpRelay;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A primary that sends no BackendKeyData (behind another pooler, or a PostgreSQL-compatible server), in front of
 * which pgroute has a pool of one connection and no replicas (COMPAT X5): its queries cannot be cancelled, but a
 * cancel, or a client that leaves mid-query, must not keep the connection from the next client.
 */
class KeylessBackendIT {

    @Test
    void aQueryTimeoutOnAKeylessServerLeavesTheConnectionToTheNextClient() throws Exception {
        LocalCluster cluster = ProxyFixture.get().cluster();
        try (TcpRelay relay = KeylessRelay.to(cluster.primary().port());
             PgrouteServer server = start("keyless-timeout.yaml", cluster, relay);
             Connection first = ProxyFixture.connect(server);
             Statement sleeping = first.createStatement()) {
            sleeping.setQueryTimeout(1);
            assertThat(sleeping.execute("SELECT pg_sleep(3)")).as("it cannot be cancelled: it runs to its end")
                    .isTrue();
            assertThat(selectOne(server)).isEqualTo(1);
        }
    }

    @Test
    void aClientLeavingMidQueryOnAKeylessServerLeavesTheConnectionToTheNextClient() throws Exception {
        LocalCluster cluster = ProxyFixture.get().cluster();
        try (TcpRelay relay = KeylessRelay.to(cluster.primary().port());
             PgrouteServer server = start("keyless-gone.yaml", cluster, relay)) {
            Connection leaving = ProxyFixture.connect(server);
            CompletableFuture<Void> sleeping = CompletableFuture.runAsync(() -> {
                try (Statement statement = leaving.createStatement()) {
                    statement.execute("SELECT pg_sleep(2)");
                } catch (SQLException e) {
                    // the connection is aborted below
                }
            });
            Thread.sleep(500);  // the statement is running
            leaving.abort(Runnable::run);  // the socket closes without a Terminate
            sleeping.get(10, TimeUnit.SECONDS);
            assertThat(selectOne(server)).isEqualTo(1);
        }
    }

    /** SELECT 1 from a new client: 53300 if the pool's only connection was never given back. */
    private static int selectOne(PgrouteServer server) throws SQLException {
        try (Connection next = ProxyFixture.connect(server);
             Statement statement = next.createStatement();
             ResultSet rs = statement.executeQuery("SELECT 1")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static PgrouteServer start(String name, LocalCluster cluster, TcpRelay relay) throws Exception {
        String primary = "primary: { host: 127.0.0.1, port: " + cluster.primary().port() + " }";
        String yaml = ProxyFixture.yaml(cluster, Map.of("pool", "  size: 1\n  timeout: 3s"));
        assertThat(yaml).contains(primary);
        // without replicas every statement runs on the primary, behind the relay
        yaml = yaml.replace(primary, "primary: { host: 127.0.0.1, port: " + relay.port() + " }")
                .replaceAll("    replicas:\n(      - .*\n)+", "");
        return new PgrouteServer(ConfigLoader.parse(yaml, name, System::getenv), 1).start();
    }
}
