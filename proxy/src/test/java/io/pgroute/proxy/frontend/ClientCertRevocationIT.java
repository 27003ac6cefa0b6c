package io.pgroute.proxy.frontend;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import io.pgroute.config.ConfigLoader;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code tls.client_crl} (PostgreSQL's {@code ssl_crl_file}): a client certificate its CA revoked fails the handshake
 * while another of the same CA logs in; a CRL file rewritten by the CA (a revocation added) counts at the next
 * handshake without a restart, and one that cannot be read keeps the lists read before. The CA, the certificates and
 * the lists are made with the openssl command (the test skips without it). A list that cannot be read, or a file that
 * was removed, is logged once, not at every handshake.
 */
class ClientCertRevocationIT {

    private static final Path OPENSSL = Path.of("/usr/bin/openssl");

    @TempDir
    static Path dir;

    private static SelfSignedCertificate serverCertificate;
    private static PgrouteServer server;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(Files.isExecutable(OPENSSL), "openssl is not installed");
        Files.writeString(dir.resolve("ca.cnf"), "[ ca ]\ndefault_ca = test\n[ test ]\ndatabase = " + dir.resolve("index.txt")
                + "\ncrlnumber = " + dir.resolve("crlnumber") + "\ncertificate = " + dir.resolve("ca.crt")
                + "\nprivate_key = " + dir.resolve("ca.key") + "\ndefault_md = sha256\ndefault_crl_days = 2\n");
        Files.writeString(dir.resolve("index.txt"), "");
        Files.writeString(dir.resolve("crlnumber"), "1000\n");
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
                "-subj", "/CN=pgroute test CA");
        for (String name : new String[] {"kept", "revoked"}) {
            openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".csr",
                    "-subj", "/CN=certuser");
            openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-set_serial",
                    name.equals("kept") ? "1001" : "1002", "-days", "2", "-out", name + ".crt");
            openssl("pkcs8", "-topk8", "-nocrypt", "-in", name + ".key", "-outform", "DER", "-out", name + ".pk8");
        }
        openssl("ca", "-config", "ca.cnf", "-revoke", "revoked.crt");
        openssl("ca", "-config", "ca.cnf", "-gencrl", "-out", "crl.pem");
        serverCertificate = new SelfSignedCertificate("localhost");
        String tls = "  mode: allow\n  cert: " + serverCertificate.certificate().getAbsolutePath() + "\n  key: "
                + serverCertificate.privateKey().getAbsolutePath() + "\n  client_ca: " + dir.resolve("ca.crt")
                + "\n  client_crl: " + dir.resolve("crl.pem");
        String yaml = ProxyFixture.yaml(ProxyFixture.get().cluster(), Map.of("tls", tls))
                .replace("users:\n", "users:\n  certuser: { auth: cert }\n");
        server = new PgrouteServer(ConfigLoader.parse(yaml, "client-crl.yaml", System::getenv), 1).start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stop(Duration.ofSeconds(2));
        }
        if (serverCertificate != null) {
            serverCertificate.delete();
        }
    }

    @Test
    void aRevokedCertificateFailsTheHandshakeAndANewListCountsWithoutARestart() throws Exception {
        assertLogsIn("kept");
        assertRefused("revoked");

        Path crl = dir.resolve("crl.pem");
        FileTime before = Files.getLastModifiedTime(crl);
        openssl("ca", "-config", "ca.cnf", "-revoke", "kept.crt");
        openssl("ca", "-config", "ca.cnf", "-gencrl", "-out", "crl.pem");
        Files.setLastModifiedTime(crl, FileTime.fromMillis(before.toMillis() + 2_000));  // whatever the clock's grain
        assertRefused("kept");

        Logger logger = (Logger) LoggerFactory.getLogger("io.pgroute.proxy.server.ClientCertificateTrust");
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        logger.addAppender(log);
        try {
            // a list that cannot be read: the ones read before still hold, and it is logged once
            String good = Files.readString(crl);
            Files.writeString(crl, "-----BEGIN X509 CRL-----\nnot a list\n-----END X509 CRL-----\n");
            Files.setLastModifiedTime(crl, FileTime.fromMillis(before.toMillis() + 4_000));
            assertRefused("kept");
            assertRefused("revoked");
            assertRefused("kept");
            try (Connection c = ProxyFixture.connect(server, "sslmode", "require")) {
                assertThat(c.isValid(5)).as("users with passwords are served all along").isTrue();
            }
            assertThat(errors(log)).as("one unreadable rewrite, three handshakes").hasSize(1);

            // the file removed: looked for at every handshake, logged once more, the lists read before still hold
            Files.delete(crl);
            assertRefused("kept");
            assertRefused("revoked");
            assertThat(errors(log)).as("the removal, two handshakes").hasSize(2);

            // back, readable: read at the next handshake
            Files.writeString(crl, good);
            Files.setLastModifiedTime(crl, FileTime.fromMillis(before.toMillis() + 6_000));
            assertRefused("kept");
            assertThat(errors(log)).hasSize(2);
            assertThat(events(log, Level.INFO)).last().extracting(ILoggingEvent::getFormattedMessage).asString()
                    .startsWith("client certificate revocation lists read from");
        } finally {
            logger.detachAppender(log);
        }
    }

    private static List<ILoggingEvent> errors(ListAppender<ILoggingEvent> log) {
        return events(log, Level.ERROR);
    }

    /** The events of {@code level} so far (logged on the event loops: Logback appends under the appender's lock). */
    private static List<ILoggingEvent> events(ListAppender<ILoggingEvent> log, Level level) {
        synchronized (log) {
            return log.list.stream().filter(event -> event.getLevel() == level).toList();
        }
    }

    private static void assertLogsIn(String certificate) throws SQLException {
        try (Connection c = connect(certificate); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT current_user")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("app");  // pgroute logs in to the servers as databases.*.user
        }
    }

    private static void assertRefused(String certificate) {
        assertThatThrownBy(() -> connect(certificate).close()).as(certificate)
                .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).startsWith("08"));
    }

    private static Connection connect(String certificate) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", "certuser");
        properties.setProperty("sslmode", "require");
        properties.setProperty("sslcert", dir.resolve(certificate + ".crt").toString());
        properties.setProperty("sslkey", dir.resolve(certificate + ".pk8").toString());
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + server.port() + "/app", properties);
    }

    private static void openssl(String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(OPENSSL.toString());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as("openssl %s: %s", String.join(" ", args), output).isZero();
    }
}
