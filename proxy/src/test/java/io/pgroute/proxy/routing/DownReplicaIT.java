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
        try (PgrouteServer server = ProxyFixture.server("down-replica.yaml",
                Map.of("routing", "  consistency: eventual\n"));
             Connection c = connect(server); Statement s = c.createStatement()) {
            awaitReplicasEligible(server);
            assertThat(port(s, "SELECT inet_server_port()")).as("a read goes to a replica").isNotEqualTo(primary());
            // it hangs on a replica until pgroute gives up on it
            assertAnsweredByThePrimaryWhileReplicasHang(s, "SELECT inet_server_port() FROM pg_sleep(0.2)");
            awaitReplicasEligible(server);
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
        try (PgrouteServer server = ProxyFixture.server("hung-replica-startup.yaml",
                Map.of("routing", "  consistency: eventual\n"));
             Connection c = connect(server); Statement s = c.createStatement()) {
            awaitReplicasEligible(server);
            assertAnsweredByThePrimaryWhileReplicasHang(s, "SELECT inet_server_port()");
            awaitReplicasEligible(server);
            assertThat(port(s, "SELECT inet_server_port()")).as("the replicas serve reads again")
                    .isNotEqualTo(primary());
        }
    }

    /**
     * Stops both replicas' postmasters and server processes (so that the read goes to a hung one, whichever it is),
     * runs {@code sql}, resumes them, and checks that the primary answered after pgroute gave up on the replica
     * (the monitor's or the connect timeout), well before the client's socket timeout.
     */
    private static void assertAnsweredByThePrimaryWhileReplicasHang(Statement s, String sql) throws Exception {
        List<Long> stopped = new ArrayList<>();
        for (PgNode each : ProxyFixture.get().cluster().replicas()) {
            stopped.addAll(Signals.withChildren(each.postmasterPid()));
        }
        Signals.send("STOP", stopped);
        long start = System.nanoTime();
        int answered;
        try {
            answered = port(s, sql);
        } finally {
            Signals.send("CONT", stopped);
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        System.out.printf("read answered by port %d after %d ms%n", answered, millis);
        assertThat(answered).as("answered by the primary").isEqualTo(primary());
        assertThat(millis).as("ms: after the monitor's or the connect timeout, well before the socket timeout")
                .isBetween(2_500L, 20_000L);
    }

    private static void awaitReplicasEligible(PgrouteServer server) {
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> server.routing("app").monitor().state()
                .replicas().stream().allMatch(NodeState::eligible));
    }

    private static int primary() {
        return ProxyFixture.get().cluster().primary().port();
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
