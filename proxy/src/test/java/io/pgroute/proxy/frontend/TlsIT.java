package io.pgroute.proxy.frontend;

import io.netty.handler.ssl.util.SelfSignedCertificate;
import io.pgroute.config.ConfigLoader;
import io.pgroute.config.ProxyConfig;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** TLS towards clients: SSLRequest and PostgreSQL 17 direct TLS; plaintext refused when TLS is required. */
class TlsIT {

    private static SelfSignedCertificate certificate;
    private static PgrouteServer server;

    @BeforeAll
    static void start() throws Exception {
        ProxyFixture fixture = ProxyFixture.get();
        certificate = new SelfSignedCertificate("localhost");
        String tls = "  mode: require\n  cert: " + certificate.certificate().getAbsolutePath() + "\n  key: "
                + certificate.privateKey().getAbsolutePath();
        ProxyConfig config = ConfigLoader.parse(ProxyFixture.yaml(fixture.cluster(), Map.of("tls", tls)),
                "tls-proxy.yaml", System::getenv);
        server = new PgrouteServer(config, 1).start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stop(Duration.ofSeconds(2));
        }
        if (certificate != null) {
            certificate.delete();
        }
    }

    @Test
    void servesClientsThatAskForSsl() throws SQLException {
        Properties props = new Properties();
        props.setProperty("sslmode", "require");
        assertThat(oneRow(props)).isEqualTo(5);
    }

    @Test
    void servesDirectTlsClients() throws SQLException {
        Properties props = new Properties();
        props.setProperty("sslmode", "require");
        props.setProperty("sslNegotiation", "direct");
        assertThat(oneRow(props)).isEqualTo(5);
    }

    @Test
    void bindsScramToTheTlsChannelWhenTheClientRequiresIt() throws SQLException {
        Properties props = new Properties();
        props.setProperty("sslmode", "require");
        props.setProperty("channelBinding", "require");
        assertThat(oneRow(props)).isEqualTo(5);
    }

    @Test
    void aMistypedUserWithChannelBindingRequiredFailsLikeAWrongPassword() {
        Properties props = new Properties();
        props.setProperty("sslmode", "require");
        props.setProperty("channelBinding", "require");
        props.setProperty("user", "apq");  // not a user of pgroute: it must not show (COMPAT S8)
        assertThatThrownBy(() -> oneRow(props))
                .isInstanceOf(SQLException.class)
                .extracting(e -> ((SQLException) e).getSQLState())
                .isEqualTo("28P01");
    }

    @Test
    void refusesPlaintextWhenTlsIsRequired() {
        Properties props = new Properties();
        props.setProperty("sslmode", "disable");
        assertThatThrownBy(() -> oneRow(props))
                .isInstanceOf(SQLException.class)
                .extracting(e -> ((SQLException) e).getSQLState())
                .isEqualTo("28000");
    }

    private static int oneRow(Properties extra) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", "app");
        props.setProperty("password", "app");
        props.putAll(extra);
        props.setProperty("connectTimeout", "10");
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + server.port() + "/app", props);
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM products")) {
            assertThat(rs.next()).isTrue();
            return rs.getInt(1);
        }
    }
}
