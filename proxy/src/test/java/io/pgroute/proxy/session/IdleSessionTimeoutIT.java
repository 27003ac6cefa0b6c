package io.pgroute.proxy.session;

import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * A client's {@code SET idle_session_timeout} (COMPAT T5): as against PostgreSQL, the client is disconnected with
 * 57P05 once it has been idle that long, SHOW reports its value, and a client that keeps working stays. What must
 * not happen: the setting left on the pooled server connection, which the server would then close while it waits
 * in the pool, or show to the next client. One event loop and one connection per node, all statements on the
 * primary, so every client shares the same server connection.
 */
class IdleSessionTimeoutIT {

    private static final String ON_PRIMARY = "/* pgroute: primary */ ";

    @Test
    void anIdleClientIsDisconnectedAsByPostgresAndThePooledConnectionLivesOn() throws Exception {
        String direct = idleClientsError(DriverManager.getConnection(
                ProxyFixture.get().cluster().primary().jdbcUrl("app"), "app", "app"));
        try (PgrouteServer server = ProxyFixture.server("idle-session.yaml", Map.of("pool", "  size: 1"));
             Connection other = ProxyFixture.connect(server)) {
            int pid;
            try (Connection quiet = ProxyFixture.connect(server)) {
                try (Statement s = quiet.createStatement()) {
                    s.execute("SET idle_session_timeout = '1s'");
                    assertThat(value(s, ON_PRIMARY + "SHOW idle_session_timeout")).isEqualTo("1s");
                    pid = Integer.parseInt(value(s, ON_PRIMARY + "SELECT pg_backend_pid()"));
                }
                assertThat(idleClientsError(quiet)).as("through pgroute, as directly").isEqualTo(direct)
                        .isEqualTo("57P05");
            }
            try (Statement s = other.createStatement()) {
                assertThat(Integer.parseInt(value(s, ON_PRIMARY + "SELECT pg_backend_pid()")))
                        .as("the server connection, idle in the pool longer than the client's timeout, still lives")
                        .isEqualTo(pid);
                assertThat(value(s, ON_PRIMARY + "SHOW idle_session_timeout")).isEqualTo("0");
            }
        }
    }

    @Test
    void aClientThatKeepsWorkingStaysAndItsTimeoutFollowsItToEveryConnection() throws Exception {
        try (PgrouteServer server = ProxyFixture.server("busy-session.yaml", Map.of("pool", "  size: 1"));
             Connection busy = ProxyFixture.connect(server);
             Connection other = ProxyFixture.connect(server);
             Statement s = busy.createStatement(); Statement o = other.createStatement()) {
            s.execute("SET idle_session_timeout = 1500");
            for (int i = 0; i < 8; i++) {  // 2.4 s in all, never 1.5 s idle; the other client uses the connection too
                assertThat(value(s, ON_PRIMARY + "SHOW idle_session_timeout")).isEqualTo("1500ms");
                assertThat(value(o, ON_PRIMARY + "SHOW idle_session_timeout")).isEqualTo("0");
                Thread.sleep(300);
            }
            s.execute("RESET idle_session_timeout");
            Thread.sleep(1_800);
            assertThat(value(s, ON_PRIMARY + "SELECT 'still here'")).isEqualTo("still here");
        }
    }

    /** Waits longer than a 1 s idle_session_timeout, then returns the SQLSTATE of the client's next statement. */
    private static String idleClientsError(Connection connection) throws Exception {
        try (Connection c = connection) {
            try (Statement s = c.createStatement()) {
                s.execute("SET idle_session_timeout = '1s'");
            }
            Thread.sleep(1_800);
            SQLException gone = catchThrowableOfType(() -> {
                try (Statement s = c.createStatement()) {
                    s.execute(ON_PRIMARY + "SELECT 1");
                }
            }, SQLException.class);
            assertThat((Throwable) gone).as("the idle client's next statement").isNotNull();
            return gone.getSQLState();
        }
    }

    private static String value(Statement statement, String sql) throws SQLException {
        try (ResultSet rs = statement.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
