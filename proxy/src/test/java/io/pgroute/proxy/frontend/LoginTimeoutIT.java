package io.pgroute.proxy.frontend;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.pgroute.protocol.codec.MessageEncoder;
import io.pgroute.protocol.startup.StartupMessage;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.Socket;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code limits.login_timeout}: a connection that has not authenticated in time is closed without a message, as
 * PostgreSQL's {@code authentication_timeout} closes it, whether it never sent a startup packet or stopped in the middle
 * of SCRAM. One that has logged in may stay idle as long as it likes. Before, both kinds stayed open for ever. And
 * {@code limits.max_clients} logged-in clients at most: the next one is refused with PostgreSQL's 53300.
 */
class LoginTimeoutIT {

    private static PgrouteServer proxy;

    @BeforeAll
    static void start() throws Exception {
        proxy = ProxyFixture.server("login-timeout.yaml", Map.of("limits",
                "  max_frame_bytes: 16MiB\n  shutdown_timeout: 5s\n  login_timeout: 1s\n  max_clients: 2\n"));
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.stop(Duration.ofSeconds(2));
        }
    }

    @Test
    void aConnectionThatSendsNothingIsClosedSilently() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", proxy.port())) {
            socket.setSoTimeout(10_000);
            long start = System.nanoTime();
            assertThat(socket.getInputStream().read()).as("closed, with nothing sent").isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(500),
                    Duration.ofSeconds(8));
        }
    }

    @Test
    void aConnectionThatStopsInTheMiddleOfScramIsClosed() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", proxy.port())) {
            socket.setSoTimeout(10_000);
            ByteBuf startup = Unpooled.buffer();
            MessageEncoder.encodeInto(StartupMessage.of("app", "app", Map.of()), startup);
            byte[] bytes = new byte[startup.readableBytes()];
            startup.readBytes(bytes).release();
            socket.getOutputStream().write(bytes);
            InputStream in = socket.getInputStream();
            assertThat(in.read()).as("AuthenticationSASL").isEqualTo('R');
            // the client never answers the challenge
            int length = (in.read() << 24) | (in.read() << 16) | (in.read() << 8) | in.read();
            assertThat(in.readNBytes(length - 4)).hasSize(length - 4);
            assertThat(in.read()).as("closed, with nothing more sent").isEqualTo(-1);
        }
    }

    @Test
    void aClientBeyondMaxClientsIsRefusedWith53300AndTheOthersGoOn() throws Exception {
        try (Connection one = ProxyFixture.connect(proxy); Connection two = ProxyFixture.connect(proxy)) {
            assertThatThrownBy(() -> ProxyFixture.connect(proxy)).isInstanceOfSatisfying(java.sql.SQLException.class,
                    e -> assertThat(e.getSQLState()).isEqualTo("53300"));
            for (Connection each : new Connection[] {one, two}) {
                try (Statement s = each.createStatement(); ResultSet rs = s.executeQuery("SELECT 1")) {
                    assertThat(rs.next()).isTrue();
                }
            }
        }
        // the proxy sees the two leave a moment after they closed: a slot is free again once it has
        org.awaitility.Awaitility.await("a slot free again").atMost(Duration.ofSeconds(10))
                .ignoreExceptionsInstanceOf(java.sql.SQLException.class).untilAsserted(() -> {
                    try (Connection again = ProxyFixture.connect(proxy)) {
                        assertThat(again.isValid(5)).isTrue();
                    }
                });
    }

    /**
     * Connections that never log in count too, up to {@code max_clients} + {@code reserved_connections} open at once:
     * the next one is answered 53300 at once, not left to wait, and the proxy's file descriptors are not all taken by
     * sockets that say nothing (until {@code login_timeout}). The admin console still gets in when {@code max_clients}
     * are logged in.
     */
    @Test
    void silentConnectionsBeyondMaxClientsAndTheReserveAreRefusedAtOnce() throws Exception {
        PgrouteServer capped = ProxyFixture.server("capped.yaml", Map.of("limits", "  max_frame_bytes: 16MiB\n"
                + "  shutdown_timeout: 5s\n  login_timeout: 60s\n  max_clients: 2\n  reserved_connections: 3\n"));
        java.util.List<Socket> silent = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 2 + 3; i++) {
                silent.add(new Socket("127.0.0.1", capped.port()));
            }
            // the proxy counts each once an event loop has taken it up, not always in the order they came: until
            // then a login may still get in (and leave again)
            org.awaitility.Awaitility.await("the next login refused").atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
                        long start = System.nanoTime();
                        assertThatThrownBy(() -> ProxyFixture.connect(capped).close())
                                .isInstanceOfSatisfying(java.sql.SQLException.class, e -> {
                                    assertThat(e.getSQLState()).isEqualTo("53300");
                                    assertThat(e.getMessage()).contains("sorry, too many clients already");
                                });
                        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("answered at once")
                                .isLessThan(Duration.ofSeconds(5));
                    });
        } finally {
            for (Socket each : silent) {
                each.close();
            }
        }
        try {
            // room again once the proxy has seen them go
            try (Connection one = connectWhenRoom(capped); Connection two = connectWhenRoom(capped);
                 Connection admin = java.sql.DriverManager.getConnection("jdbc:postgresql://127.0.0.1:"
                         + capped.port() + "/pgroute", "admin", "admin");
                 Statement s = admin.createStatement();
                 ResultSet rs = s.executeQuery("SHOW VERSION")) {
                assertThat(rs.next()).as("the admin console, with max_clients logged in").isTrue();
            }
        } finally {
            capped.stop(Duration.ofSeconds(2));
        }
    }

    /** A login to {@code server}, tried again while it is refused with 53300, for up to 10 s. */
    private static Connection connectWhenRoom(PgrouteServer server) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            try {
                return ProxyFixture.connect(server);
            } catch (java.sql.SQLException e) {
                if (!"53300".equals(e.getSQLState()) || System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    @Test
    void aClientThatLoggedInMayIdleLongerThanTheTimeout() throws Exception {
        try (Connection c = ProxyFixture.connect(proxy); Statement s = c.createStatement()) {
            Thread.sleep(2_000);
            try (ResultSet rs = s.executeQuery("SELECT 42")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(42);
            }
        }
    }
}
