package io.pgroute.proxy.routing;

import io.pgroute.localcluster.PgNode;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import io.pgroute.proxy.testing.Signals;
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
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Replicas that hang while a read runs there (their postmasters and every server process stopped): once the node
 * monitor takes it down (about 6 s), pgroute closes its connections to it, and the read, which had sent nothing back
 * yet, runs again on the primary. Without that the client waited as long as the replica hung.
 */
class DownReplicaIT {

    @Test
    void aReadWaitingOnAReplicaThatHangsRunsAgainOnThePrimaryOnceTheReplicaIsDown() throws Exception {
        ProxyFixture fixture = ProxyFixture.get();
        try (PgrouteServer server = ProxyFixture.server("down-replica.yaml",
                Map.of("routing", "  consistency: eventual\n"));
             Connection c = connect(server); Statement s = c.createStatement()) {
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> server.routing("app").monitor().state()
                    .replicas().stream().allMatch(NodeState::eligible));
            int primary = fixture.cluster().primary().port();
            int first = port(s, "SELECT inet_server_port()");
            assertThat(first).as("a read goes to a replica").isNotEqualTo(primary);
            List<Long> stopped = new ArrayList<>();
            for (PgNode each : fixture.cluster().replicas()) {
                stopped.addAll(Signals.withChildren(each.postmasterPid()));  // both: the next read goes to one
            }
            Signals.send("STOP", stopped);
            long start = System.nanoTime();
            int answered;
            try {
                // it hangs on a replica until pgroute gives up on it
                answered = port(s, "SELECT inet_server_port() FROM pg_sleep(0.2)");
            } finally {
                Signals.send("CONT", stopped);
            }
            long millis = (System.nanoTime() - start) / 1_000_000;
            System.out.printf("read answered by port %d after %d ms%n", answered, millis);
            assertThat(answered).as("answered by the primary").isEqualTo(primary);
            assertThat(millis).as("ms: after the monitor's timeouts, well before the socket timeout")
                    .isBetween(2_500L, 20_000L);
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> server.routing("app").monitor().state()
                    .replicas().stream().allMatch(NodeState::eligible));
        }
    }

    /**
     * The read is the first to go to a replica, and the replicas hang: the server accepts the connection (the kernel
     * does, for a stopped postmaster) but never answers its startup. {@code pool.connect_timeout} (5 s) covers the
     * startup too, so the lease fails and the read goes to the primary; before, the connection waited for an answer
     * as long as the replica hung, out of the reach of the monitor, which closes only established connections.
     */
    @Test
    void aReadWhoseNewConnectionToAHungReplicaIsNeverAnsweredRunsOnThePrimary() throws Exception {
        ProxyFixture fixture = ProxyFixture.get();
        try (PgrouteServer server = ProxyFixture.server("hung-replica-startup.yaml",
                Map.of("routing", "  consistency: eventual\n"));
             Connection c = connect(server); Statement s = c.createStatement()) {
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> server.routing("app").monitor().state()
                    .replicas().stream().allMatch(NodeState::eligible));
            int primary = fixture.cluster().primary().port();
            List<Long> stopped = new ArrayList<>();
            for (PgNode each : fixture.cluster().replicas()) {
                stopped.addAll(Signals.withChildren(each.postmasterPid()));
            }
            Signals.send("STOP", stopped);
            long start = System.nanoTime();
            int answered;
            try {
                answered = port(s, "SELECT inet_server_port()");
            } finally {
                Signals.send("CONT", stopped);
            }
            long millis = (System.nanoTime() - start) / 1_000_000;
            System.out.printf("read answered by port %d after %d ms%n", answered, millis);
            assertThat(answered).as("answered by the primary").isEqualTo(primary);
            assertThat(millis).as("ms: after the connect timeout or the monitor's, well before the socket timeout")
                    .isBetween(2_500L, 20_000L);
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> server.routing("app").monitor().state()
                    .replicas().stream().allMatch(NodeState::eligible));
            assertThat(port(s, "SELECT inet_server_port()")).as("the replicas serve reads again")
                    .isNotEqualTo(primary);
        }
    }

    private static Connection connect(PgrouteServer server) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", "app");
        properties.setProperty("password", "app");
        properties.setProperty("socketTimeout", "40");  // without the fix the read waits until the replica resumes
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + server.port() + "/app", properties);
    }

    private static int port(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            assertThat(rs.next()).isTrue();
            return rs.getInt(1);
        }
    }
}
