package io.pgroute.proxy.frontend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgroute.config.ConfigLoader;
import io.pgroute.localcluster.LocalCluster;
import io.pgroute.proxy.routing.AuthQuery;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code databases.*.auth_query}: users proxy.yaml does not list log in with the password the server stores for
 * them, found by a {@code SECURITY DEFINER} function the control plane's role may run, and pgroute logs in to the
 * servers as them with the keys they proved (SCRAM passthrough: proxy.yaml holds no password of theirs), or, for a
 * role whose password is stored as md5, with its hash. A second
 * database's query fails: its logins get 08001, the first database's go on.
 */
class AuthQueryIT {

    private static final String WATCH = "authq_watch";
    private static final String ROLE = "authq_user";
    private static final String MD5_ROLE = "authq_md5";
    private static final String NO_LOGIN = "authq_nologin";

    private static PgrouteServer server;

    @BeforeAll
    static void start() throws Exception {
        LocalCluster cluster = ProxyFixture.get().cluster();
        for (String role : new String[] {WATCH, ROLE, MD5_ROLE, NO_LOGIN}) {
            cluster.execute("app", "DROP ROLE IF EXISTS " + role);
        }
        cluster.execute("app", "SET password_encryption = 'scram-sha-256'",
                "CREATE ROLE " + WATCH + " LOGIN PASSWORD '" + WATCH + "'",
                "CREATE ROLE " + ROLE + " LOGIN PASSWORD 'first'",
                "CREATE ROLE " + NO_LOGIN + " NOLOGIN PASSWORD 'nologin'",
                "SET password_encryption = 'md5'",
                "CREATE ROLE " + MD5_ROLE + " LOGIN PASSWORD 'md5pw'",
                "CREATE SCHEMA IF NOT EXISTS pgroute_auth",
                "CREATE OR REPLACE FUNCTION pgroute_auth.user_secret(name text, OUT usename name, OUT passwd text)"
                        + " RETURNS SETOF record LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS"
                        + " $$ SELECT rolname, rolpassword FROM pg_authid WHERE rolname = name AND rolcanlogin $$",
                "REVOKE ALL ON FUNCTION pgroute_auth.user_secret(text) FROM PUBLIC",
                "GRANT USAGE ON SCHEMA pgroute_auth TO " + WATCH,
                "GRANT EXECUTE ON FUNCTION pgroute_auth.user_secret(text) TO " + WATCH);
        String database = "    dbname: app\n    monitor_user: " + WATCH + "\n    monitor_password: " + WATCH + "\n";
        String yaml = ProxyFixture.yaml(cluster, Map.of())
                .replace("    dbname: app\n    user: app\n    password: app\n", database
                        + "    auth_query: \"SELECT usename, passwd FROM pgroute_auth.user_secret($1)\"\n"
                        + "  broken:\n    primary: { host: 127.0.0.1, port: " + cluster.primary().port() + " }\n"
                        + database + "    auth_query: \"SELECT passwd FROM pgroute_auth.no_such_function($1)\"\n");
        assertThat(yaml).doesNotContain("    user: app\n");
        server = new PgrouteServer(ConfigLoader.parse(yaml, "authq.yaml", System::getenv), 1).start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stop(Duration.ofSeconds(2));
        }
    }

    @Test
    void aUserTheServerKnowsLogsInAsItselfWithoutBeingInProxyYaml() throws SQLException {
        assertThat(whoAmI(ROLE, "first")).isEqualTo(ROLE + " " + ROLE);
    }

    @Test
    void itsKeysLogInToTheReplicasToo() throws SQLException {
        // the monitor (as monitor_user) makes the replicas eligible; a replica stores the same verifier
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> server.routing("app").monitor()
                .state().replicas().stream().allMatch(io.pgroute.proxy.routing.NodeState::eligible));
        int replicaReads = 0;
        try (Connection c = connect("app", ROLE, "first"); Statement s = c.createStatement()) {
            for (int i = 0; i < 10; i++) {
                try (ResultSet rs = s.executeQuery("SELECT current_user, pg_is_in_recovery()")) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getString(1)).isEqualTo(ROLE);
                    replicaReads += rs.getBoolean(2) ? 1 : 0;
                }
            }
        }
        assertThat(replicaReads).as("reads answered by a replica, of 10").isPositive();
    }

    @Test
    void psqlLogsInThroughTheQueryToo() throws Exception {
        java.nio.file.Path psql = java.nio.file.Path.of("/usr/bin/psql");
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isExecutable(psql), "psql is not installed");
        for (String[] each : new String[][] {{ROLE, "first"}, {MD5_ROLE, "md5pw"}}) {
            ProcessBuilder builder = new ProcessBuilder(psql.toString(), "host=127.0.0.1 port=" + server.port()
                    + " dbname=app user=" + each[0], "-Atc", "SELECT current_user").redirectErrorStream(true);
            builder.environment().put("PGPASSWORD", each[1]);
            Process process = builder.start();
            assertThat(process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThat(new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
                    .strip()).isEqualTo(each[0]);
        }
    }

    @Test
    void aRoleWithAnMd5PasswordLogsInWithAnMd5ChallengeAndItsHashLogsInToTheServers() throws SQLException {
        assertThat(whoAmI(MD5_ROLE, "md5pw")).isEqualTo(MD5_ROLE + " " + MD5_ROLE);
        assertRefused("app", MD5_ROLE, "not it", "28P01");
    }

    @Test
    void aWrongPasswordAnUnknownUserAndARoleThatCannotLogInAreRefusedAlikeWith28P01() {
        assertRefused("app", ROLE, "not it", "28P01");
        assertRefused("app", "authq_nobody", "x", "28P01");
        assertRefused("app", NO_LOGIN, "nologin", "28P01");
    }

    @Test
    void aFailingQueryEndsTheLoginWith08001AndTheOtherDatabaseGoesOn() throws SQLException {
        assertRefused("broken", ROLE, "first", "08001");
        try (Connection c = connect("app", ROLE, "first")) {
            assertThat(c.isValid(5)).isTrue();
        }
    }

    @Test
    void aPasswordChangedOnTheServerCountsOnceTheRememberedSecretExpired() throws SQLException {
        LocalCluster cluster = ProxyFixture.get().cluster();
        cluster.execute("app", "DROP ROLE IF EXISTS authq_changing", "SET password_encryption = 'scram-sha-256'",
                "CREATE ROLE authq_changing LOGIN PASSWORD 'old'");
        try (Connection c = connect("app", "authq_changing", "old")) {
            assertThat(c.isValid(5)).isTrue();
        }
        cluster.execute("app", "SET password_encryption = 'scram-sha-256'",
                "ALTER ROLE authq_changing PASSWORD 'new'");
        Awaitility.await().atMost(AuthQuery.REMEMBERED.plusSeconds(10)).pollInterval(Duration.ofMillis(500))
                .ignoreExceptions().until(() -> {
                    try (Connection c = connect("app", "authq_changing", "new")) {
                        return c.isValid(5);
                    }
                });
        assertRefused("app", "authq_changing", "old", "28P01");
    }

    private static void assertRefused(String database, String user, String password, String sqlState) {
        assertThatThrownBy(() -> connect(database, user, password).close())
                .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).as(user)
                        .isEqualTo(sqlState));
    }

    private static Connection connect(String database, String user, String password) throws SQLException {
        return ProxyFixture.connectAs(server, database, user, password);
    }

    /** {@code current_user} and {@code session_user} of a session {@code user} opened. */
    private static String whoAmI(String user, String password) throws SQLException {
        try (Connection c = connect("app", user, password); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT current_user || ' ' || session_user")) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        }
    }
}
