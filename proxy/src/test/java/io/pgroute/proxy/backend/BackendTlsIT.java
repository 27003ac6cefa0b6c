package io.pgroute.proxy.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.ssl.util.SelfSignedCertificate;
import io.pgroute.config.ConfigLoader;
import io.pgroute.localcluster.LocalCluster;
import io.pgroute.proxy.routing.NodeState;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * TLS from pgroute to the servers ({@code databases.*.tls}, {@code tls_ca}) against a real PostgreSQL with
 * {@code ssl = on} and a certificate for {@code localhost}: the data path and the control plane (node monitor,
 * catalog) encrypt, {@code verify-full} checks the CA and the host name, {@code verify-ca} the CA only, {@code require}
 * nothing; a certificate that fails the check, or a server without TLS where it is required, ends the login with
 * 08001 and a reason, and pgroute keeps serving the other databases. Over TLS pgroute logs in with
 * SCRAM-SHA-256-PLUS, bound to the certificate the server presented: with a wrong binding (checked by breaking it)
 * the server refuses every login here with "SCRAM channel binding check failed".
 */
class BackendTlsIT {

    private static SelfSignedCertificate certificate;
    private static SelfSignedCertificate otherCa;
    private static Path files;
    private static LocalCluster cluster;
    private static PgrouteServer server;

    @BeforeAll
    static void start() throws Exception {
        certificate = new SelfSignedCertificate("localhost");
        otherCa = new SelfSignedCertificate("localhost");
        // where the server (an unprivileged user when the JVM runs as root) can read its certificate and key
        files = Files.createTempDirectory("pgroute-backend-tls");
        Files.setPosixFilePermissions(files, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path crt = Files.copy(certificate.certificate().toPath(), files.resolve("server.crt"));
        Path key = Files.copy(certificate.privateKey().toPath(), files.resolve("server.key"));
        Path other = Files.copy(otherCa.certificate().toPath(), files.resolve("other-ca.crt"));
        Files.setPosixFilePermissions(crt, PosixFilePermissions.fromString("rw-r--r--"));
        Files.setPosixFilePermissions(other, PosixFilePermissions.fromString("rw-r--r--"));
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        if ("root".equals(System.getProperty("user.name"))) {
            java.nio.file.attribute.UserPrincipal nobody = files.getFileSystem().getUserPrincipalLookupService()
                    .lookupPrincipalByName("nobody");
            Files.setOwner(key, nobody);
            Files.setOwner(crt, nobody);
        }
        cluster = LocalCluster.builder().replicas(1).redis(false)
                .setting("ssl", "on")
                .setting("ssl_cert_file", crt.toString())
                .setting("ssl_key_file", key.toString())
                .start();
        int port = cluster.primary().port();
        String login = "    dbname: postgres\n    user: " + cluster.superuser() + "\n    password: "
                + cluster.superuserPassword() + "\n";
        String yaml = "listen: { host: 127.0.0.1, port: 0 }\n"
                + "users:\n  app: { password: app }\n"
                + "databases:\n"
                + "  full:\n    primary: { host: localhost, port: " + port + " }\n"
                + "    replicas: [ { host: localhost, port: " + cluster.replicas().get(0).port() + " } ]\n" + login
                + "    tls: verify-full\n    tls_ca: " + crt + "\n"
                + "  byaddress:\n    primary: { host: 127.0.0.1, port: " + port + " }\n" + login
                + "    tls: verify-full\n    tls_ca: " + crt + "\n"
                + "  otherca:\n    primary: { host: localhost, port: " + port + " }\n" + login
                + "    tls: verify-ca\n    tls_ca: " + other + "\n"
                + "  encrypted:\n    primary: { host: 127.0.0.1, port: " + port + " }\n" + login
                + "    tls: require\n"
                + "  plaintext:\n    primary: { host: 127.0.0.1, port: " + ProxyFixture.get().cluster().primary().port()
                + " }\n    dbname: app\n    user: app\n    password: app\n    tls: require\n";
        server = new PgrouteServer(ConfigLoader.parse(yaml, "backend-tls.yaml", System::getenv), 1).start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.stop(Duration.ofSeconds(2));
        }
        if (cluster != null) {
            cluster.close();
        }
        if (certificate != null) {
            certificate.delete();
            otherCa.delete();
        }
        if (files != null) {
            try (var each = Files.list(files)) {
                for (Path file : each.toList()) {
                    Files.delete(file);
                }
            }
            Files.delete(files);
        }
    }

    @Test
    void verifyFullEncryptsTheDataPathAndTheControlPlaneToTheHostItsCertificateNames() throws SQLException {
        // the node monitor reached both nodes over verify-full (pgjdbc with the same CA): the replica takes reads
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> server.routing("full").monitor().state()
                .replicas().stream().allMatch(NodeState::eligible));
        boolean replicaRead = false;
        try (Connection c = connect("full"); Statement s = c.createStatement()) {
            for (int i = 0; i < 10; i++) {
                try (ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery()")) {
                    assertThat(rs.next()).isTrue();
                    replicaRead |= rs.getBoolean(1);
                }
            }
            // pg_stat_ssl describes the node that answers, so pgroute reads it on the primary
            s.execute("BEGIN");
            try (ResultSet rs = s.executeQuery("SELECT ssl, pg_is_in_recovery() FROM pg_stat_ssl"
                    + " WHERE pid = pg_backend_pid()")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getBoolean(1)).isTrue();
                assertThat(rs.getBoolean(2)).as("a transaction's primary connection").isFalse();
            }
            s.execute("COMMIT");
        }
        assertThat(replicaRead).as("a read answered by the replica").isTrue();
        // every client session on the replica (pgroute's reads, its monitor's probes) is encrypted
        try (Connection direct = DriverManager.getConnection(cluster.replicas().get(0).jdbcUrl("postgres")
                + "?sslmode=disable", cluster.superuser(), cluster.superuserPassword());
             Statement s = direct.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FILTER (WHERE ssl), count(*) FILTER (WHERE NOT ssl)"
                     + " FROM pg_stat_ssl JOIN pg_stat_activity USING (pid)"
                     + " WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getInt(1)).as("encrypted sessions").isPositive();
            assertThat(rs.getInt(2)).as("plaintext sessions").isZero();
        }
    }

    @Test
    void requireEncryptsWithoutCheckingTheCertificate() throws SQLException {
        try (Connection c = connect("encrypted"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getBoolean(1)).isTrue();
        }
    }

    @Test
    void aCertificateThatDoesNotNameTheHostOrComesFromAnotherCaEndsTheLoginWith08001() throws SQLException {
        assertRefused("byaddress", "TLS with backend byaddress/primary failed");
        assertRefused("otherca", "TLS with backend otherca/primary failed");
        // the others are served all the same
        try (Connection c = connect("encrypted")) {
            assertThat(c.isValid(5)).isTrue();
        }
    }

    @Test
    void aServerWithoutTlsWhereItIsRequiredEndsTheLoginWith08001() {
        assertRefused("plaintext", "does not support TLS");
    }

    private static void assertRefused(String database, String reason) {
        assertThatThrownBy(() -> connect(database).close()).isInstanceOfSatisfying(SQLException.class, e -> {
            assertThat(e.getSQLState()).as(database).isEqualTo("08001");
            assertThat(e.getMessage()).contains(reason);
        });
    }

    private static Connection connect(String database) throws SQLException {
        return ProxyFixture.connectAs(server, database, "app", "app");
    }
}
