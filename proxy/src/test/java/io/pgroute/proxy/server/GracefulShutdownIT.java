package io.pgroute.proxy.server;

import io.pgroute.config.ConfigLoader;
import io.pgroute.config.ProxyConfig;
import io.pgroute.proxy.session.WireClient;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Graceful stop: running queries finish, idle clients are told 57P01, new clients are refused. */
class GracefulShutdownIT {

    @Test
    void letsRunningQueriesFinishAndClosesIdleClients() throws Exception {
        ProxyFixture fixture = ProxyFixture.get();
        ProxyConfig config = ConfigLoader.parse(ProxyFixture.yaml(fixture.cluster(), Map.of()), "shutdown.yaml",
                System::getenv);
        PgrouteServer server = new PgrouteServer(config, 1).start();
        String url = "jdbc:postgresql://127.0.0.1:" + server.port() + "/app";
        try (Connection idle = DriverManager.getConnection(url, "app", "app");
             WireClient idleOnTheWire = WireClient.connect(server.port(), "trusted", "app");
             Connection busy = DriverManager.getConnection(url, "app", "app")) {
            CompletableFuture<Integer> running = CompletableFuture.supplyAsync(() -> {
                try (Statement s = busy.createStatement();
                     ResultSet rs = s.executeQuery("SELECT 7 FROM pg_sleep(1.5)")) {
                    rs.next();
                    return rs.getInt(1);
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(300);
            long started = System.nanoTime();
            CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> server.stop(Duration.ofSeconds(10)));
            assertThat(running.get(10, TimeUnit.SECONDS)).as("the running query's answer").isEqualTo(7);
            stopping.get(15, TimeUnit.SECONDS);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(8));
            // what an idle client is sent, byte for byte as PostgreSQL's smart shutdown: a FATAL 57P01, then the end
            WireClient.Message told = idleOnTheWire.read(5_000);
            assertThat(told.type()).as("told before the close: %s", told).isEqualTo('E');
            assertThat(told.sqlState()).isEqualTo("57P01");
            assertThat(told.decode(io.pgroute.protocol.backend.ErrorResponse::decode).severity()).isEqualTo("FATAL");
            assertThatThrownBy(() -> idleOnTheWire.read(5_000)).isInstanceOf(java.io.IOException.class)
                    .hasMessageContaining("closed");
            // pgjdbc reads that FATAL only at its next statement, or finds the socket closed
            assertThatThrownBy(() -> idle.createStatement().executeQuery("SELECT 1"))
                    .isInstanceOf(SQLException.class)
                    .extracting(e -> ((SQLException) e).getSQLState())
                    .isIn("57P01", "08006", "08003");
            assertThatThrownBy(() -> DriverManager.getConnection(url, "app", "app"))
                    .isInstanceOf(SQLException.class)
                    .extracting(e -> ((SQLException) e).getSQLState())
                    .isEqualTo("08001");
        } finally {
            server.stop(Duration.ofSeconds(1));
        }
    }
}
