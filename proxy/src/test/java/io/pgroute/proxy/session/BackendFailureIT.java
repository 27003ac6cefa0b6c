package io.pgroute.proxy.session;

import io.pgroute.proxy.backend.BackendConnection;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A backend that goes away mid-session gives the client an ErrorResponse and a clean close, never a hang, and the
 * proxy keeps serving everyone else.
 */
class BackendFailureIT {

    private static ProxyFixture fixture;

    @BeforeAll
    static void start() {
        fixture = ProxyFixture.get();
    }

    @Test
    void aTerminatedBackendEndsTheQueryWithThePostgresError() throws Exception {
        try (Connection c = fixture.connect(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);  // the pid and the sleep run on the same backend connection
            int backendPid = backendPid(s);
            CompletableFuture<SQLException> running = CompletableFuture.supplyAsync(() -> {
                try {
                    s.execute("SELECT pg_sleep(10)");
                    return null;
                } catch (SQLException e) {
                    return e;
                }
            });
            Thread.sleep(300);
            terminate(backendPid);
            SQLException failure = running.get(5, TimeUnit.SECONDS);
            assertThat((Object) failure).isNotNull();
            assertThat(failure.getSQLState()).isIn("57P01", "08006");
            assertThat(c.isValid(2)).isFalse();
        }
        assertStillServing();
    }

    @Test
    void aLostBackendConnectionGives08006() throws Exception {
        try (Connection c = fixture.connect(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);  // a transaction keeps its backend connection
            int backendPid = backendPid(s);
            ClientSession session = fixture.server().sessions().snapshot().stream()
                    .filter(each -> each.backend().map(BackendConnection::processId).orElse(-1) == backendPid)
                    .findFirst().orElseThrow();
            session.backend().orElseThrow().channel().close().sync();
            assertThatThrownBy(() -> s.executeQuery("SELECT 1"))
                    .isInstanceOf(SQLException.class)
                    .extracting(e -> ((SQLException) e).getSQLState())
                    .isEqualTo("08006");
        }
        assertStillServing();
    }

    private static int backendPid(Statement s) throws SQLException {
        try (ResultSet rs = s.executeQuery("/* pgroute: primary */ SELECT pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static void terminate(int pid) throws SQLException {
        try (Connection admin = DriverManager.getConnection(fixture.cluster().primary().jdbcUrl("postgres"),
                fixture.cluster().superuser(), fixture.cluster().superuserPassword());
             Statement s = admin.createStatement();
             ResultSet rs = s.executeQuery("SELECT pg_terminate_backend(" + pid + ")")) {
            rs.next();
            assertThat(rs.getBoolean(1)).isTrue();
        }
    }

    private static void assertStillServing() throws SQLException {
        try (Connection c = fixture.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM products")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(5);
        }
    }
}
