package io.pgroute.proxy.backend;

import io.pgroute.config.ConfigLoader;
import io.pgroute.localcluster.LocalCluster;
import io.pgroute.localcluster.PgNode;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.sql.Connection;
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
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Servers given as a socket directory ({@code host: /var/run/postgresql}, as libpq takes it): pgroute reaches them on
 * their Unix-domain sockets, for the data path (Netty) and the control plane (pgjdbc through junixsocket: health, lag
 * and catalog), and sends cancels there. {@code inet_server_port()} is NULL on such a connection, which is how the
 * tests tell that it did not go over TCP.
 */
class BackendSocketIT {

    private static PgrouteServer server;
    private static LocalCluster cluster;

    @BeforeAll
    static void start() throws Exception {
        cluster = ProxyFixture.get().cluster();
        assumeTrue(cluster.socketDirectory().isPresent(), "the cluster's servers have no Unix-domain sockets");
        Path sockets = cluster.socketDirectory().orElseThrow();
        StringBuilder yaml = new StringBuilder(ProxyFixture.yaml(cluster, Map.of()));
        for (PgNode each : cluster.nodes()) {
            String tcp = "{ host: 127.0.0.1, port: " + each.port() + " }";
            String socket = "{ host: " + sockets + ", port: " + each.port() + " }";
            int at = yaml.indexOf(tcp);
            yaml.replace(at, at + tcp.length(), socket);
        }
        // asked for, as libpq's sslmode=require: on a socket there is no TLS and the connection is made without it
        String config = yaml.toString().replace("    dbname: app\n", "    dbname: app\n    tls: require\n");
        assertThat(config).doesNotContain("host: 127.0.0.1, port: " + cluster.primary().port());
        server = new PgrouteServer(ConfigLoader.parse(config, "socket-servers.yaml", System::getenv), 1).start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stop(Duration.ofSeconds(2));
        }
    }

    /** Reads are spread over the replicas (the monitor reached them over their sockets), writes go to the primary. */
    @Test
    void readsAndWritesGoOverTheServersSockets() throws Exception {
        Set<Integer> replicaPorts = new HashSet<>();
        cluster.replicas().forEach(each -> replicaPorts.add(each.port()));
        // reads go only to replicas that have replayed the application's writes of earlier tests (read-your-writes):
        // once in a full run one replica took none for 20 s, both up, while it was presumably still behind
        cluster.awaitReplication(Duration.ofSeconds(60));
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(readPorts()).containsAll(replicaPorts));
        try (Connection c = ProxyFixture.connect(server); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery(), current_setting('port')::int, "
                     + "inet_server_port() IS NULL FROM (SELECT txid_current()) AS writes")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getBoolean(1)).isFalse();
            assertThat(rs.getInt(2)).isEqualTo(cluster.primary().port());
            assertThat(rs.getBoolean(3)).as("on a Unix-domain socket").isTrue();
        }
        try (Connection admin = java.sql.DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + server.port()
                + "/pgroute?user=admin&password=admin&preferQueryMode=simple");
             Statement s = admin.createStatement(); ResultSet rs = s.executeQuery("SHOW NODES")) {
            List<String> nodes = new ArrayList<>();
            while (rs.next()) {
                nodes.add(rs.getString("role") + " " + rs.getString("host") + " " + rs.getString("state"));
            }
            String sockets = cluster.socketDirectory().orElseThrow().toString();
            assertThat(nodes).containsExactly("primary " + sockets + " up", "replica " + sockets + " up",
                    "replica " + sockets + " up");
        }
    }

    /** Replica ports that answered autocommit reads, each read checked to have come over a socket, from a replica. */
    private static Set<Integer> readPorts() throws SQLException {
        Set<Integer> result = new HashSet<>();
        try (Connection c = ProxyFixture.connect(server); Statement s = c.createStatement()) {
            for (int i = 0; i < 8; i++) {
                try (ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery(), current_setting('port')::int, "
                        + "inet_server_port() IS NULL")) {
                    assertThat(rs.next()).isTrue();
                    if (rs.getBoolean(1)) {
                        assertThat(rs.getBoolean(3)).as("on a Unix-domain socket").isTrue();
                        result.add(rs.getInt(2));
                    }
                }
            }
        }
        return result;
    }

    /**
     * A server whose socket is not there: each client gets 08001 naming the socket, as libpq would say it.
     */
    @Test
    void aMissingSocketIsReportedWithItsPath() throws Exception {
        Path empty = java.nio.file.Files.createTempDirectory("pgroute-no-server");
        int port = cluster.primary().port();
        String config = ProxyFixture.yaml(cluster, Map.of()).replace("{ host: 127.0.0.1, port: " + port + " }",
                "{ host: " + empty + ", port: " + port + " }");
        try (PgrouteServer broken = new PgrouteServer(ConfigLoader.parse(config, "missing-socket.yaml",
                System::getenv), 1).start()) {
            for (int attempt = 0; attempt < 2; attempt++) {  // each client is told, none waits
                assertThatThrownBy(() -> ProxyFixture.connect(broken).close())
                        .isInstanceOfSatisfying(SQLException.class, e -> {
                            assertThat(e.getSQLState()).isEqualTo("08001");
                            assertThat(e.getMessage()).contains("connection to server on socket \"" + empty
                                    + "/.s.PGSQL." + port + "\" failed: No such file or directory");
                        });
            }
        } finally {
            java.nio.file.Files.deleteIfExists(empty);
        }
    }

    /** A cancel reaches the server on its socket: the statement stops with 57014 and the session goes on. */
    @Test
    void cancelsReachTheServerOnItsSocket() throws Exception {
        try (Connection c = ProxyFixture.connect(server); Statement s = c.createStatement()) {
            CompletableFuture<String> running = CompletableFuture.supplyAsync(() -> {
                try {
                    s.execute("SELECT pg_sleep(20) AS socket_cancel_probe FROM (SELECT txid_current()) AS t");
                    return "finished";
                } catch (SQLException e) {
                    return e.getSQLState();
                }
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> ProxyFixture.get()
                    .primaryBackendsWith("socket_cancel_probe", true) == 1);
            s.cancel();
            assertThat(running.get(10, TimeUnit.SECONDS)).isEqualTo("57014");
            try (ResultSet rs = s.executeQuery("SELECT 1")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(1);
            }
        }
    }
}
