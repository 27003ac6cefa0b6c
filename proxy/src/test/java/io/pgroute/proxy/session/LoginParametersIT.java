package io.pgroute.proxy.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;

/**
 * What a client is told at login (its ParameterStatus set) is what its own session has, never what the previous
 * client of its pooled backend connection SET (COMPAT P1).
 */
class LoginParametersIT {

    @Test
    void aNewClientIsToldItsOwnValuesNotThoseThePreviousClientOfItsBackendSet() throws Exception {
        ProxyFixture fixture = ProxyFixture.get();
        try (PgrouteServer server = ProxyFixture.server("login-parameters.yaml", Map.of("pool", "  size: 1"))) {
            String url = "jdbc:postgresql://127.0.0.1:" + server.port() + "/app";
            Map<String, String> direct;
            try (Connection c = DriverManager.getConnection(fixture.cluster().primary().jdbcUrl("app"), "app",
                    "app")) {
                direct = c.unwrap(PGConnection.class).getParameterStatuses();
            }
            int firstPid = 0;
            for (int round = 0; round < 3; round++) {
                try (Connection first = DriverManager.getConnection(url, "app", "app");
                     Statement s = first.createStatement()) {
                    // on the primary, where logins lease their first connection (reads may go to replicas)
                    s.execute("/* pgroute: primary */ SET application_name = 'left-behind'");
                    s.execute("/* pgroute: primary */ SET DateStyle = 'ISO, DMY'");  // pgjdbc wants ISO first
                    s.execute("/* pgroute: primary */ SET TimeZone = 'Asia/Tokyo'");
                    s.execute("/* pgroute: primary */ SET IntervalStyle = 'postgres_verbose'");
                    assertThat(first.unwrap(PGConnection.class).getParameterStatus("DateStyle"))
                            .isEqualTo("ISO, DMY");
                    try (ResultSet rs = s.executeQuery("/* pgroute: primary */ SELECT pg_backend_pid()")) {
                        rs.next();
                        firstPid = rs.getInt(1);
                    }
                }
                try (Connection next = DriverManager.getConnection(url, "app", "app");
                     Statement s = next.createStatement()) {
                    Map<String, String> told = Map.copyOf(next.unwrap(PGConnection.class).getParameterStatuses());
                    try (ResultSet rs = s.executeQuery("/* pgroute: primary */ SELECT pg_backend_pid()")) {
                        rs.next();
                        assertThat(rs.getInt(1)).as("the same backend connection").isEqualTo(firstPid);
                    }
                    assertThat(told).as("round %d", round).containsAllEntriesOf(direct);
                    try (ResultSet rs = s.executeQuery("SELECT current_setting('application_name'), "
                            + "current_setting('DateStyle'), current_setting('TimeZone'), "
                            + "current_setting('IntervalStyle')")) {
                        assertThat(rs.next()).isTrue();
                        assertThat(rs.getString(1)).isEqualTo(direct.get("application_name"));
                        assertThat(rs.getString(2)).isEqualTo(direct.get("DateStyle"));
                        assertThat(rs.getString(3)).isEqualTo(direct.get("TimeZone"));
                        assertThat(rs.getString(4)).isEqualTo(direct.get("IntervalStyle"));
                    }
                }
            }
        }
    }
}
