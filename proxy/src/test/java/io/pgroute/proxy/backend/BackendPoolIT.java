package io.pgroute.proxy.backend;

import io.pgroute.config.ConfigLoader;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Backend connections outlive their clients: a clean one is reset with DISCARD ALL and reused by the next client,
 * a dirty one (open transaction) is closed, one older than pool.max_lifetime is replaced, and in session mode
 * pool.size caps a node's connections.
 */
class BackendPoolIT {

    private static PgrouteServer server(Map<String, String> extra) throws Exception {
        ProxyFixture fixture = ProxyFixture.get();
        return new PgrouteServer(ConfigLoader.parse(ProxyFixture.yaml(fixture.cluster(), extra), "pool.yaml",
                System::getenv), 1).start();
    }


    @Test
    void reusesACleanBackendWithNoSessionStateLeft() throws Exception {
        try (PgrouteServer server = server(Map.of())) {
            int firstPid;
            try (Connection c = ProxyFixture.connect(server); Statement s = c.createStatement()) {
                firstPid = scalarInt(s, "/* pgroute: primary */ SELECT pg_backend_pid()");
                s.execute("SET pgroute.leftover = 'dirty'");
                s.execute("CREATE TEMP TABLE leftover (id int)");
                s.execute("PREPARE leftover_stmt AS SELECT 1");
            }
            // the reset (DISCARD ALL) runs after the client is gone: wait until the connection is back in the pool
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> server.pools().all().stream()
                    .filter(pool -> pool.target().node().equals("app/primary"))
                    .allMatch(pool -> pool.idle() == pool.open()));
            try (Connection c = ProxyFixture.connect(server); Statement s = c.createStatement()) {
                assertThat(scalarInt(s, "/* pgroute: primary */ SELECT pg_backend_pid()")).as("same backend reused")
                        .isEqualTo(firstPid);
                assertThat(scalarString(s, "/* pgroute: primary */ SELECT coalesce(current_setting('pgroute.leftover', true), '')"))
                        .isEmpty();
                assertThat(scalarInt(s, "/* pgroute: primary */ SELECT count(*) FROM pg_tables WHERE tablename = 'leftover'")).isZero();
                assertThat(scalarInt(s, "/* pgroute: primary */ SELECT count(*) FROM pg_prepared_statements"
                        + " WHERE name NOT LIKE 'pgr\\_%'")).as("none but pgroute's own, shared ones").isZero();
            }
        }
    }

    @Test
    void closesABackendLeftInsideATransaction() throws Exception {
        try (PgrouteServer server = server(Map.of())) {
            int firstPid;
            try (Connection c = ProxyFixture.connect(server); Statement s = c.createStatement()) {
                firstPid = scalarInt(s, "/* pgroute: primary */ SELECT pg_backend_pid()");
                c.setAutoCommit(false);
                s.execute("SELECT 1");
            }
            try (Connection c = ProxyFixture.connect(server); Statement s = c.createStatement()) {
                assertThat(scalarInt(s, "/* pgroute: primary */ SELECT pg_backend_pid()")).isNotEqualTo(firstPid);
                Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                        scalarInt(s, "/* pgroute: primary */ SELECT count(*) FROM pg_stat_activity WHERE pid = " + firstPid)).isZero());
            }
        }
    }

    @Test
    void replacesABackendOnceItOutlivedMaxLifetime() throws Exception {
        try (PgrouteServer server = server(Map.of("pool", "  mode: transaction\n  size: 1\n  max_lifetime: 1s"));
             Connection c = ProxyFixture.connect(server); Statement s = c.createStatement()) {
            int firstPid = scalarInt(s, "/* pgroute: primary */ SELECT pg_backend_pid()");
            assertThat(scalarInt(s, "/* pgroute: primary */ SELECT pg_backend_pid()")).as("reused while young")
                    .isEqualTo(firstPid);

            Thread.sleep(1_200);

            assertThat(scalarInt(s, "/* pgroute: primary */ SELECT pg_backend_pid()")).as("replaced once too old")
                    .isNotEqualTo(firstPid);
            Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                    scalarInt(s, "/* pgroute: primary */ SELECT count(*) FROM pg_stat_activity WHERE pid = " + firstPid))
                    .as("the old backend is closed").isZero());
        }
    }

    @Test
    void capsConnectionsInSessionModeAndAnswers53300AfterTheTimeout() throws Exception {
        try (PgrouteServer server = server(Map.of("pool", "  mode: session\n  size: 1\n  timeout: 500ms"))) {
            try (Connection holder = ProxyFixture.connect(server)) {
                long started = System.nanoTime();
                assertThatThrownBy(() -> ProxyFixture.connect(server).close())
                        .isInstanceOf(SQLException.class)
                        .extracting(e -> ((SQLException) e).getSQLState())
                        .isEqualTo("53300");
                assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(
                        Duration.ofMillis(450));
                assertThat(holder.isValid(2)).isTrue();
            }
            try (Connection c = ProxyFixture.connect(server); Statement s = c.createStatement()) {
                assertThat(scalarInt(s, "SELECT 1")).isEqualTo(1);
            }
        }
    }

    private static int scalarInt(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            assertThat(rs.next()).isTrue();
            return rs.getInt(1);
        }
    }

    private static String scalarString(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        }
    }
}
