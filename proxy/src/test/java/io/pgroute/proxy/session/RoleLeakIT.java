package io.pgroute.proxy.session;

import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;

/** SET ROLE never leaks to the next client of a pooled connection (COMPAT G5). */
class RoleLeakIT {

    /** The role the tests switch to, which app may SET, on every server. */
    private static void createReportingRole() throws Exception {
        ProxyFixture fixture = ProxyFixture.get();
        fixture.cluster().execute("app", "DO $$ BEGIN CREATE ROLE reporting_ro; EXCEPTION WHEN duplicate_object "
                + "THEN NULL; END $$", "GRANT reporting_ro TO app");
        fixture.cluster().awaitReplication(java.time.Duration.ofSeconds(10));
    }

    @Test
    void theNextClientRunsAsItsOwnRole() throws Exception {
        createReportingRole();
        try (PgrouteServer server = ProxyFixture.server("role.yaml", Map.of("pool", "  size: 1"))) {
            String url = "jdbc:postgresql://127.0.0.1:" + server.port() + "/app";
            for (int round = 0; round < 3; round++) {
                Connection first = DriverManager.getConnection(url, "app", "app");
                try (Statement s = first.createStatement()) {
                    s.execute("SET ROLE reporting_ro");
                    for (int i = 0; i < 5; i++) {
                        try (ResultSet rs = s.executeQuery("SELECT current_user")) {
                            rs.next();
                            assertThat(rs.getString(1)).isEqualTo("reporting_ro");
                        }
                    }
                }
                first.abort(Executors.newSingleThreadExecutor());  // gone without Terminate
                try (Connection next = DriverManager.getConnection(url, "app", "app");
                     Statement s = next.createStatement()) {
                    for (int i = 0; i < 200; i++) {
                        try (ResultSet rs = s.executeQuery("SELECT current_user, session_user")) {
                            rs.next();
                            assertThat(rs.getString(1)).isEqualTo("app");
                            assertThat(rs.getString(2)).isEqualTo("app");
                        }
                    }
                }
            }
        }
    }

    @Test
    void resetAllLeavesTheRoleAsPostgresqlDoesAndItStillDoesNotLeak() throws Exception {
        createReportingRole();
        try (PgrouteServer server = ProxyFixture.server("role-reset.yaml", Map.of("pool", "  size: 1"))) {
            String url = "jdbc:postgresql://127.0.0.1:" + server.port() + "/app";
            try (Connection first = DriverManager.getConnection(url, "app", "app");
                 Statement s = first.createStatement()) {
                s.execute("SET ROLE reporting_ro");
                s.execute("SET application_name = 'before-reset'");
                s.execute("RESET ALL");
                try (ResultSet rs = s.executeQuery("SELECT current_user, current_setting('application_name')")) {
                    rs.next();
                    assertThat(rs.getString(1)).as("RESET ALL keeps the role").isEqualTo("reporting_ro");
                    assertThat(rs.getString(2)).as("and resets the rest").isNotEqualTo("before-reset");
                }
            }
            try (Connection next = DriverManager.getConnection(url, "app", "app");
                 Statement s = next.createStatement()) {
                for (int i = 0; i < 50; i++) {
                    try (ResultSet rs = s.executeQuery("SELECT current_user, session_user")) {
                        rs.next();
                        assertThat(rs.getString(1)).as("statement %d of the next client", i).isEqualTo("app");
                        assertThat(rs.getString(2)).isEqualTo("app");
                    }
                }
            }
        }
    }
}
