package io.pgroute.proxy.frontend;

import io.pgroute.config.ConfigLoader;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import io.pgroute.proxy.testing.TcpRelay;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two pgroute instances behind a round-robin TCP balancer (COMPAT X4): pgjdbc's cancel arrives on a new
 * connection, which the balancer hands to the other instance; that instance finds its peer's id in the key and
 * forwards the cancel, and the statement is cancelled.
 */
class PeerCancelIT {

    @Test
    void aCancelThatReachesTheOtherInstanceStillCancels() throws Exception {
        int portA = freePort();
        int portB = freePort();
        try (PgrouteServer a = start("peer-a.yaml", portA, 1, 2, portB);
             PgrouteServer b = start("peer-b.yaml", portB, 2, 1, portA);
             TcpRelay balancer = new TcpRelay(portA, portB);
             Connection client = DriverManager.getConnection(
                     "jdbc:postgresql://127.0.0.1:" + balancer.port() + "/app", "app", "app");
             Statement statement = client.createStatement()) {
            assertThat(balancer.connections()).as("the client's connection went to A").isEqualTo(1);
            long start = System.nanoTime();
            CompletableFuture<String> sleeping = CompletableFuture.supplyAsync(() -> {
                try {
                    statement.execute("SELECT pg_sleep(30)");
                    return "ran to its end";
                } catch (SQLException e) {
                    return "error " + e.getSQLState();
                }
            });
            Thread.sleep(500);  // the statement is running
            statement.cancel();  // a new connection: the balancer sends it to B
            assertThat(balancer.connections()).as("the cancel's connection went to B").isEqualTo(2);
            assertThat(sleeping.get(25, TimeUnit.SECONDS)).isEqualTo("error 57014");
            assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).isLessThan(15);
        }
    }

    private static PgrouteServer start(String name, int port, int id, int peerId, int peerPort) throws Exception {
        String yaml = ProxyFixture.yaml(ProxyFixture.get().cluster(), Map.of("peers", "  id: " + id
                + "\n  members:\n    - { id: " + peerId + ", host: 127.0.0.1, port: " + peerPort + " }"))
                .replace("listen: { host: 127.0.0.1, port: 0 }", "listen: { host: 127.0.0.1, port: " + port + " }");
        return new PgrouteServer(ConfigLoader.parse(yaml, name, System::getenv), 1).start();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
