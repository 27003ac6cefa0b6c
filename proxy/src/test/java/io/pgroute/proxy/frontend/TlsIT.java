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

    /**
     * COMPAT S1 (CVE-2021-23222 in libpq, CVE-2021-23214 in the server): bytes that follow an SSLRequest before the TLS
     * handshake may have been injected by a man in the middle and must never be read as if they came through TLS. With
     * TLS on, an SSLRequest and a startup message in one write get no 'S': the connection is closed at once.
     */
    @Test
    void closesAConnectionThatSendsDataBehindItsSslRequest() throws Exception {
        byte[] sslRequest = {0, 0, 0, 8, 0x04, (byte) 0xd2, 0x16, 0x2f};
        byte[] startup = startupMessage("app", "app");
        byte[] both = new byte[sslRequest.length + startup.length];
        System.arraycopy(sslRequest, 0, both, 0, sslRequest.length);
        System.arraycopy(startup, 0, both, sslRequest.length, startup.length);
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(both);
            socket.getOutputStream().flush();
            assertThat(socket.getInputStream().read()).as("first byte answered (-1: closed)").isEqualTo(-1);
        }
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(sslRequest);
            socket.getOutputStream().flush();
            assertThat(socket.getInputStream().read()).as("an SSLRequest alone").isEqualTo('S');
        }
        Properties tls = new Properties();
        tls.setProperty("sslmode", "require");
        assertThat(oneRow(tls)).as("the next client").isEqualTo(5);
    }

    /**
     * COMPAT X3: with TLS required, a query can still be cancelled. pgjdbc's cancel, and psql's Ctrl-C (libpq before
     * 17 sends its CancelRequest in plaintext, on a new connection, even with sslmode=require) both stop the
     * statement with 57014.
     */
    @Test
    void cancelsWorkWhenTlsIsRequired() throws Exception {
        try (Connection c = ProxyFixture.connect(server, "sslmode", "require"); Statement s = c.createStatement()) {
            java.util.concurrent.CompletableFuture<String> running = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> {
                        try {
                            s.execute("SELECT pg_sleep(20)");
                            return "finished";
                        } catch (SQLException e) {
                            return e.getSQLState();
                        }
                    });
            Thread.sleep(700);
            s.cancel();
            assertThat(running.get(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("57014");
        }
        java.nio.file.Path psql = java.nio.file.Path.of("/usr/bin/psql");
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isExecutable(psql), "psql is not installed");
        ProcessBuilder builder = new ProcessBuilder(psql.toString(), "host=127.0.0.1 port=" + server.port()
                + " dbname=app user=app sslmode=require", "-c", "SELECT pg_sleep(20)").redirectErrorStream(true);
        builder.environment().put("PGPASSWORD", "app");
        Process process = builder.start();
        try {
            Thread.sleep(1_500);
            Process interrupt = new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).start();
            assertThat(interrupt.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThat(process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).as("psql ended").isTrue();
            String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(output).contains("canceling statement due to user request");
        } finally {
            process.destroyForcibly();
        }
    }

    /**
     * COMPAT X3 as libpq 17 sends it (no libpq 17 on this machine, so by hand): with the main connection encrypted,
     * the CancelRequest goes over TLS too, on a new connection that starts with an SSLRequest. pgroute must read it
     * there, forward it, and close without a reply; the statement ends with 57014.
     */
    @Test
    void cancelsACancelRequestSentOverTls() throws Exception {
        try (javax.net.ssl.SSLSocket main = tlsConnection()) {
            java.io.DataInputStream in = new java.io.DataInputStream(main.getInputStream());
            main.getOutputStream().write(startupMessage("trusted", "app"));
            main.getOutputStream().flush();
            int processId = 0;
            int secret = 0;
            for (char type = 0; type != 'Z'; ) {
                type = (char) in.readUnsignedByte();
                byte[] body = new byte[in.readInt() - 4];
                in.readFully(body);
                assertThat(type).as("no error at login").isNotEqualTo('E');
                if (type == 'K') {
                    java.nio.ByteBuffer key = java.nio.ByteBuffer.wrap(body);
                    processId = key.getInt();
                    secret = key.getInt();
                }
            }
            byte[] sql = "SELECT pg_sleep(20)\0".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            main.getOutputStream().write(java.nio.ByteBuffer.allocate(5 + sql.length).put((byte) 'Q')
                    .putInt(4 + sql.length).put(sql).array());
            main.getOutputStream().flush();
            Thread.sleep(700);
            long sent = System.nanoTime();
            try (javax.net.ssl.SSLSocket cancel = tlsConnection()) {
                cancel.getOutputStream().write(java.nio.ByteBuffer.allocate(16).putInt(16).putInt(80877102)
                        .putInt(processId).putInt(secret).array());
                cancel.getOutputStream().flush();
                assertThat(cancel.getInputStream().read()).as("closed without a reply").isEqualTo(-1);
            }
            char type;
            byte[] body;
            do {  // RowDescription first: PostgreSQL describes the result before it runs pg_sleep
                type = (char) in.readUnsignedByte();
                body = new byte[in.readInt() - 4];
                in.readFully(body);
            } while (type == 'T');
            assertThat(type).as("the statement's answer").isEqualTo('E');
            assertThat(new String(body, java.nio.charset.StandardCharsets.UTF_8)).contains("C57014");
            assertThat(System.nanoTime() - sent).as("well before pg_sleep(20) ends")
                    .isLessThan(java.util.concurrent.TimeUnit.SECONDS.toNanos(10));
        }
    }

    /**
     * COMPAT S2: direct TLS (no SSLRequest, the handshake first) must name ALPN "postgresql", as PostgreSQL 17
     * requires: a client that names none, or another protocol, is closed before it can log in; one that names it
     * logs in.
     */
    @Test
    void directTlsWithoutAlpnPostgresqlIsClosedBeforeLogin() throws Exception {
        for (String[] protocols : new String[][] {{}, {"http/1.1"}, {"postgresql"}}) {
            boolean named = protocols.length == 1 && protocols[0].equals("postgresql");
            java.net.Socket plain = new java.net.Socket("127.0.0.1", server.port());
            plain.setSoTimeout(10_000);
            try (javax.net.ssl.SSLSocket tls = (javax.net.ssl.SSLSocket) trustingContext().getSocketFactory()
                    .createSocket(plain, "127.0.0.1", server.port(), true)) {
                tls.setSoTimeout(10_000);
                javax.net.ssl.SSLParameters parameters = tls.getSSLParameters();
                parameters.setApplicationProtocols(protocols);
                tls.setSSLParameters(parameters);
                int first;
                try {
                    tls.startHandshake();
                    tls.getOutputStream().write(startupMessage("trusted", "app"));
                    tls.getOutputStream().flush();
                    first = tls.getInputStream().read();
                } catch (java.io.IOException closed) {
                    first = -1;  // closed during the handshake or before the startup message was read
                }
                if (named) {
                    assertThat(first).as("a login's first answer").isEqualTo('R');
                } else {
                    assertThat(first).as("ALPN %s", java.util.Arrays.toString(protocols)).isEqualTo(-1);
                }
            }
        }
    }

    /** A connection that asked for TLS with an SSLRequest, got 'S' and finished the handshake (any certificate). */
    private static javax.net.ssl.SSLSocket tlsConnection() throws Exception {
        java.net.Socket plain = new java.net.Socket("127.0.0.1", server.port());
        plain.setSoTimeout(10_000);
        plain.getOutputStream().write(new byte[] {0, 0, 0, 8, 0x04, (byte) 0xd2, 0x16, 0x2f});
        plain.getOutputStream().flush();
        assertThat(plain.getInputStream().read()).as("SSLRequest answered").isEqualTo('S');
        javax.net.ssl.SSLSocket result = (javax.net.ssl.SSLSocket) trustingContext().getSocketFactory()
                .createSocket(plain, "127.0.0.1", server.port(), true);
        result.setSoTimeout(10_000);
        result.startHandshake();
        return result;
    }

    /** A TLS context that accepts any server certificate. */
    private static javax.net.ssl.SSLContext trustingContext() throws Exception {
        javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
        context.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
            @Override
            public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String authType) {
            }

            @Override
            public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                return new java.security.cert.X509Certificate[0];
            }
        }}, null);
        return context;
    }

    private static byte[] startupMessage(String user, String database) {
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        body.writeBytes(new byte[] {0, 3, 0, 0});
        for (String each : new String[] {"user", user, "database", database}) {
            body.writeBytes(each.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            body.write(0);
        }
        body.write(0);
        byte[] bytes = body.toByteArray();
        java.nio.ByteBuffer message = java.nio.ByteBuffer.allocate(4 + bytes.length);
        message.putInt(4 + bytes.length).put(bytes);
        return message.array();
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
