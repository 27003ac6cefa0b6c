package io.pgroute.proxy.frontend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.ssl.util.SelfSignedCertificate;
import io.pgroute.config.ConfigLoader;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code auth: cert} with {@code tls.client_ca}: a user whose client certificate (signed by a CA pgroute trusts)
 * names it logs in without a password, as with PostgreSQL's {@code cert}; no certificate, one naming another user, or
 * no TLS at all gets 28000, and a certificate from a CA pgroute does not trust fails the handshake. Users with
 * passwords are not asked for a certificate.
 */
class ClientCertIT {

    @TempDir
    static Path files;

    private static SelfSignedCertificate serverCertificate;
    private static SelfSignedCertificate certUser;
    private static SelfSignedCertificate otherUser;
    private static SelfSignedCertificate untrusted;
    private static PgrouteServer server;

    @BeforeAll
    static void start() throws Exception {
        serverCertificate = new SelfSignedCertificate("localhost");
        certUser = new SelfSignedCertificate("certuser");
        otherUser = new SelfSignedCertificate("otheruser");
        untrusted = new SelfSignedCertificate("certuser");
        // the trusted "CAs": the two self-signed client certificates themselves
        Path clientCa = files.resolve("client-ca.pem");
        Files.writeString(clientCa, Files.readString(certUser.certificate().toPath())
                + Files.readString(otherUser.certificate().toPath()));
        String tls = "  mode: allow\n  cert: " + serverCertificate.certificate().getAbsolutePath() + "\n  key: "
                + serverCertificate.privateKey().getAbsolutePath() + "\n  client_ca: " + clientCa;
        String yaml = ProxyFixture.yaml(ProxyFixture.get().cluster(), Map.of("tls", tls))
                .replace("users:\n", "users:\n  certuser: { auth: cert }\n");
        server = new PgrouteServer(ConfigLoader.parse(yaml, "client-cert.yaml", System::getenv), 1).start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stop(Duration.ofSeconds(2));
        }
        for (SelfSignedCertificate each : new SelfSignedCertificate[] {serverCertificate, certUser, otherUser,
                untrusted}) {
            if (each != null) {
                each.delete();
            }
        }
    }

    @Test
    void aCertificateThatNamesTheUserLogsItInWithoutAPassword() throws Exception {
        try (Connection c = connect("certuser", certUser); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT 1")) {
            assertThat(rs.next()).isTrue();
        }
    }

    @Test
    void psqlLogsInWithItsCertificateToo() throws Exception {
        Path psql = Path.of("/usr/bin/psql");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(psql), "psql is not installed");
        Path key = files.resolve("psql-client.key");
        Files.copy(certUser.privateKey().toPath(), key, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Process process = new ProcessBuilder(psql.toString(), "host=127.0.0.1 port=" + server.port()
                + " dbname=app user=certuser sslmode=require sslcert=" + certUser.certificate().getAbsolutePath()
                + " sslkey=" + key, "-Atc", "SELECT 'in as ' || current_setting('application_name')")
                .redirectErrorStream(true).start();
        assertThat(process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(output.strip()).isEqualTo("in as psql");
        assertThat(process.exitValue()).isZero();
    }

    @Test
    void noCertificateACertificateForAnotherUserOrNoTlsGet28000() {
        org.junit.jupiter.api.Assumptions.assumeFalse(Files.exists(Path.of(System.getProperty("user.home"),
                ".postgresql", "postgresql.crt")), "pgjdbc would present ~/.postgresql/postgresql.crt");
        assertRefused(() -> connect("certuser", null), "28000", "connection requires a valid client certificate");
        assertRefused(() -> connect("certuser", otherUser), "28000",
                "certificate authentication failed for user \"certuser\"");
        assertRefused(() -> DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + server.port()
                + "/app?sslmode=disable&user=certuser"), "28000", "connection requires a valid client certificate");
    }

    @Test
    void aCertificateFromACaPgrouteDoesNotTrustFailsTheHandshake() {
        assertThatThrownBy(() -> connect("certuser", untrusted).close()).isInstanceOfSatisfying(SQLException.class,
                e -> assertThat(e.getSQLState()).startsWith("08"));
    }

    @Test
    void usersWithPasswordsAreNotAskedForACertificate() throws Exception {
        try (Connection c = ProxyFixture.connect(server, "sslmode", "require")) {
            assertThat(c.isValid(5)).isTrue();
        }
    }

    private interface Connect {
        Connection open() throws Exception;
    }

    private static void assertRefused(Connect connect, String sqlState, String message) {
        assertThatThrownBy(() -> connect.open().close()).isInstanceOfSatisfying(SQLException.class, e -> {
            assertThat(e.getSQLState()).isEqualTo(sqlState);
            assertThat(e.getMessage()).contains(message);
        });
    }

    /**
     * pgjdbc over TLS as {@code user}, presenting {@code certificate} (its key as PKCS#8 DER) when not null; else
     * none (pgjdbc's default file, ~/.postgresql/postgresql.crt, does not exist here).
     */
    private static Connection connect(String user, SelfSignedCertificate certificate) throws Exception {
        Properties properties = new Properties();
        properties.setProperty("user", user);
        properties.setProperty("sslmode", "require");
        if (certificate != null) {
            Path key = Files.createTempFile(files, "client", ".pk8");
            Files.write(key, certificate.key().getEncoded());
            properties.setProperty("sslcert", certificate.certificate().getAbsolutePath());
            properties.setProperty("sslkey", key.toString());
        }
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + server.port() + "/app", properties);
    }
}
