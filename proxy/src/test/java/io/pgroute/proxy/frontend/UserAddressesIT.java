package io.pgroute.proxy.frontend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgroute.config.ConfigLoader;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code users.<name>.addresses} and {@code databases.<name>.addresses}: where a user, or any client of a database,
 * may connect from, as the address column of {@code pg_hba.conf}. A client elsewhere is refused before any password
 * is asked, with PostgreSQL's own 28000 "no pg_hba.conf entry" message; {@code local} is pgroute's Unix-domain
 * socket.
 */
class UserAddressesIT {

    @TempDir
    static Path socketDir;

    private static PgrouteServer server;

    @BeforeAll
    static void start() throws Exception {
        Files.setPosixFilePermissions(socketDir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        String yaml = ProxyFixture.yaml(ProxyFixture.get().cluster(), Map.of())
                .replace("listen: { host: 127.0.0.1, port: 0 }", "listen: { host: 127.0.0.1, port: "
                        + ProxyFixture.freePort() + ", unix_socket_dir: " + socketDir + " }")
                .replace("users:\n", "users:\n"
                        + "  loopback: { password: lb, addresses: [ 127.0.0.0/8 ] }\n"
                        + "  lan: { password: lan, addresses: [ 10.0.0.0/8, fd00::/8 ] }\n"
                        + "  sockonly: { password: so, addresses: [ local ] }\n")
                .replace("databases:\n", "databases:\n  lanonly:\n    primary: { host: 127.0.0.1, port: "
                        + ProxyFixture.get().cluster().primary().port() + " }\n    dbname: app\n    user: app\n"
                        + "    password: app\n    addresses: [ 10.0.0.0/8 ]\n");
        server = new PgrouteServer(ConfigLoader.parse(yaml, "addresses.yaml", System::getenv), 1).start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stop(Duration.ofSeconds(2));
        }
    }

    @Test
    void aUserLogsInFromItsAddresses() throws SQLException {
        try (Connection c = ProxyFixture.connectAs(server, "app", "loopback", "lb")) {
            assertThat(c.isValid(5)).isTrue();
        }
    }

    @Test
    void aUserElsewhereIsRefusedLikePostgresqlWithoutAPasswordAsked() {
        // refused before authentication: a wrong password gets the same answer, not 28P01
        for (String password : new String[] {"lan", "wrong"}) {
            assertThatThrownBy(() -> ProxyFixture.connectAs(server, "app", "lan", password).close())
                    .isInstanceOfSatisfying(SQLException.class, e -> {
                        assertThat(e.getSQLState()).isEqualTo("28000");
                        assertThat(e.getMessage()).contains("no pg_hba.conf entry for host \"127.0.0.1\", user "
                                + "\"lan\", database \"app\", no encryption");
                    });
        }
        assertThatThrownBy(() -> ProxyFixture.connectAs(server, "app", "sockonly", "so").close())
                .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("28000"));
    }

    @Test
    void aDatabaseRefusesClientsFromElsewhereWhoeverTheyAre() throws SQLException {
        assertThatThrownBy(() -> ProxyFixture.connectAs(server, "lanonly", "app", "app").close())
                .isInstanceOfSatisfying(SQLException.class, e -> {
                    assertThat(e.getSQLState()).isEqualTo("28000");
                    assertThat(e.getMessage()).contains("no pg_hba.conf entry for host \"127.0.0.1\", user \"app\", "
                            + "database \"lanonly\", no encryption");
                });
        try (Connection c = ProxyFixture.connectAs(server, "app", "app", "app")) {
            assertThat(c.isValid(5)).as("the same user, another database").isTrue();
        }
    }

    @Test
    void localIsTheUnixDomainSocket() throws Exception {
        Path psql = Path.of("/usr/bin/psql");
        Assumptions.assumeTrue(Files.isExecutable(psql), "psql is not installed");
        assertThat(psql(psql, "sockonly", "so")).isEqualTo("0|sockonly");
        String refused = psql(psql, "loopback", "lb");
        assertThat(refused).contains("no pg_hba.conf entry for host \"[local]\", user \"loopback\", database "
                + "\"app\", no encryption");
    }

    /** psql on pgroute's socket as {@code user}: its output, "exit|" plus the one value on success. */
    private static String psql(Path psql, String user, String password) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(psql.toString(), "-h", socketDir.toString(), "-p",
                Integer.toString(server.port()), "-U", user, "-d", "app", "-Atc", "SELECT session_user IS NOT NULL")
                .redirectErrorStream(true);
        builder.environment().put("PGPASSWORD", password);
        Process process = builder.start();
        assertThat(process.waitFor(20, TimeUnit.SECONDS)).isTrue();
        String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
                .strip();
        return process.exitValue() == 0 ? "0|" + user : output;
    }
}
