package io.pgroute.proxy.frontend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgroute.config.ConfigLoader;
import io.pgroute.localcluster.LocalCluster;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * SCRAM passthrough: users that proxy.yaml knows only by their {@code scram_verifier} (copied from the server's
 * {@code pg_authid.rolpassword}) and a database without a {@code user}/{@code password} of its own. pgroute has no
 * password for these roles, so every backend connection they get was logged in with the keys the client proved
 * at its login to pgroute. The cluster requires SCRAM (LocalCluster's pg_hba.conf).
 */
class ScramPassthroughIT {

    private static final String ROLE = "passthrough_svc";
    private static final String MOVED = "passthrough_moved";
    private static final String PASSWORD = "pass-w0rd, with ü";

    private static PgrouteServer server;

    @BeforeAll
    static void start() throws Exception {
        LocalCluster cluster = ProxyFixture.get().cluster();
        for (String role : List.of(ROLE, MOVED)) {
            cluster.execute("app", "DROP ROLE IF EXISTS " + role,
                    "SET password_encryption = 'scram-sha-256'",
                    "CREATE ROLE " + role + " LOGIN PASSWORD '" + PASSWORD.replace("'", "''") + "'");
        }
        String verifier = storedSecret(ROLE);
        String movedVerifier = storedSecret(MOVED);
        // the same password set again: the server now stores another salt than the verifier proxy.yaml was given
        cluster.execute("app", "SET password_encryption = 'scram-sha-256'",
                "ALTER ROLE " + MOVED + " PASSWORD '" + PASSWORD.replace("'", "''") + "'");
        assertThat(storedSecret(MOVED)).isNotEqualTo(movedVerifier);

        String yaml = ProxyFixture.yaml(cluster, Map.of())
                .replace("    dbname: app\n    user: app\n    password: app\n", "    dbname: app\n")
                .replace("users:\n", "users:\n  " + ROLE + ": { scram_verifier: \"" + verifier + "\" }\n  "
                        + MOVED + ": { scram_verifier: \"" + movedVerifier + "\" }\n");
        assertThat(yaml).doesNotContain("    user: app\n").contains(ROLE + ": { scram_verifier");
        server = new PgrouteServer(ConfigLoader.parse(yaml, "passthrough.yaml", System::getenv), 1).start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stop(Duration.ofSeconds(2));
        }
    }

    @Test
    void everyBackendConnectionOfAVerifierOnlyUserLogsInAsThatUser() throws SQLException {
        // three clients in open transactions at once: three backend connections, each logged in with the keys
        List<Connection> open = new ArrayList<>();
        Set<Integer> backends = new HashSet<>();
        try {
            for (int i = 0; i < 3; i++) {
                Connection c = connect(ROLE, PASSWORD);
                open.add(c);
                c.setAutoCommit(false);
                try (Statement s = c.createStatement();
                     ResultSet rs = s.executeQuery("SELECT current_user, session_user, pg_backend_pid()")) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getString(1)).isEqualTo(ROLE);
                    assertThat(rs.getString(2)).isEqualTo(ROLE);
                    backends.add(rs.getInt(3));
                }
            }
            assertThat(backends).hasSize(3);
            // the server has them as the role's sessions (this database has no user of pgroute's own to log in as)
            try (Connection direct = superuser(); Statement s = direct.createStatement();
                 ResultSet rs = s.executeQuery("SELECT array_agg(pid) FROM pg_stat_activity WHERE usename = '"
                         + ROLE + "'")) {
                assertThat(rs.next()).isTrue();
                assertThat((Integer[]) rs.getArray(1).getArray()).contains(backends.toArray(Integer[]::new));
            }
        } finally {
            for (Connection each : open) {
                each.close();
            }
        }
    }

    @Test
    void aWrongPasswordIsRefusedWith28P01AndOpensNothing() {
        assertThatThrownBy(() -> connect(ROLE, "not the password").close())
                .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("28P01"));
    }

    @Test
    void aServerThatStoresAnotherVerifierRefusesTheKeysWith08001() {
        // the client's password is right for the verifier pgroute has, but the server's salt is another one now
        assertThatThrownBy(() -> connect(MOVED, PASSWORD).close())
                .isInstanceOfSatisfying(SQLException.class, e -> {
                    assertThat(e.getSQLState()).isEqualTo("08001");
                    assertThat(e.getMessage()).contains("another salt or iteration count", MOVED);
                });
        // and pgroute keeps serving the others
        assertThat(currentUser(ROLE, PASSWORD)).isEqualTo(ROLE);
    }

    private static String currentUser(String user, String password) {
        try (Connection c = connect(user, password); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT current_user")) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }

    private static Connection connect(String user, String password) throws SQLException {
        return ProxyFixture.connectAs(server, "app", user, password);
    }

    private static Connection superuser() throws SQLException {
        LocalCluster cluster = ProxyFixture.get().cluster();
        return DriverManager.getConnection(cluster.primary().jdbcUrl("app"), cluster.superuser(),
                cluster.superuserPassword());
    }

    private static String storedSecret(String role) throws SQLException {
        try (Connection c = superuser(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT rolpassword FROM pg_authid WHERE rolname = '" + role + "'")) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        }
    }
}
