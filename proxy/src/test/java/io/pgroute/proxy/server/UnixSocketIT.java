package io.pgroute.proxy.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import io.pgroute.config.ConfigLoader;
import io.pgroute.protocol.backend.ErrorResponse;
import io.pgroute.protocol.codec.MessageEncoder;
import io.pgroute.protocol.frontend.Query;
import io.pgroute.protocol.startup.SSLRequest;
import io.pgroute.protocol.startup.StartupMessage;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code listen.unix_socket_dir}: pgroute also listens on {@code <dir>/.s.PGSQL.<port>}, where libpq and psql look
 * for a server ({@code psql -h <dir> -p <port>}), with the same routing, authentication and console as on TCP.
 */
class UnixSocketIT {

    private static final Path PSQL = Path.of("/usr/bin/psql");
    /**
     * The operating-system user this test runs as, named as /etc/passwd names its uid (what pgroute looks up): a
     * pgroute user with {@code auth: peer}; null where the uid has no name there (a container's arbitrary uid).
     */
    private static final String OS_USER = osUser();
    private static Path dir;
    private static PgrouteServer server;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("pgroute-unix");
        server = serve(dir, 0, "0770", Map.of());
    }

    @AfterAll
    static void stop() throws IOException {
        if (server != null) {
            server.stop(Duration.ofSeconds(2));
        }
        if (dir != null) {
            try (var files = Files.list(dir)) {
                for (Path each : files.toList()) {
                    Files.deleteIfExists(each);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    private static String osUser() {
        try {
            String uid = Long.toString(new com.sun.security.auth.module.UnixSystem().getUid());
            for (String line : Files.readAllLines(Path.of("/etc/passwd"), StandardCharsets.UTF_8)) {
                String[] fields = line.split(":", 4);
                if (fields.length >= 3 && fields[2].equals(uid) && !line.startsWith("#")) {
                    return fields[0];
                }
            }
        } catch (IOException | RuntimeException e) {
            // no name: the peer test skips
        }
        return null;
    }

    private static PgrouteServer serve(Path socketDir, int port, String mode, Map<String, String> sections)
            throws Exception {
        String yaml = ProxyFixture.yaml(ProxyFixture.get().cluster(), sections).replace(
                "listen: { host: 127.0.0.1, port: 0 }", "listen: { host: 127.0.0.1, port: " + port
                        + ", unix_socket_dir: " + socketDir + ", unix_socket_mode: \"" + mode + "\" }")
                .replace("users:\n", "users:\n" + (OS_USER == null ? ""
                        : "  \"" + OS_USER + "\": { auth: peer, admin: true }\n") + "  someone_else: { auth: peer }\n");
        return new PgrouteServer(ConfigLoader.parse(yaml, "unix-proxy.yaml", System::getenv), 1).start();
    }

    @Test
    void listensWhereLibpqLooksWithTheConfiguredMode() throws IOException {
        Path socket = dir.resolve(".s.PGSQL." + server.port());
        assertThat(server.unixSocket()).contains(socket);
        assertThat(Files.getAttribute(socket, "unix:mode")).as("a socket file")
                .matches(mode -> ((Integer) mode & 0170000) == 0140000);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rwxrwx---");
    }

    /** psql finds pgroute by directory and port; reads go to a replica and writes to the primary, as on TCP. */
    @Test
    void psqlConnectsThroughTheSocketAndIsRoutedAsOnTcp() throws Exception {
        assumeTrue(Files.isExecutable(PSQL), "psql is not installed");
        int primary = ProxyFixture.get().cluster().primary().port();
        Psql read = psql(server, "app", "-c", "SELECT pg_is_in_recovery(), inet_server_port()");
        assertThat(read.exit).as(read.output).isZero();
        assertThat(read.output.trim()).startsWith("t|").doesNotEndWith("|" + primary);
        Psql write = psql(server, "app", "-c", "SELECT pg_is_in_recovery(), inet_server_port() FROM "
                + "(SELECT txid_current()) AS t");
        assertThat(write.exit).as(write.output).isZero();
        assertThat(write.output.trim()).isEqualTo("f|" + primary);
        Psql wrong = psql(server, "wrong", "-c", "SELECT 1");
        assertThat(wrong.exit).isNotZero();
        assertThat(wrong.output).contains("password authentication failed for user \"app\"");
    }

    /** psql's Ctrl-C over the socket: libpq sends its CancelRequest to the same socket, and the statement stops. */
    @Test
    void psqlCancelsOverTheSocket() throws Exception {
        assumeTrue(Files.isExecutable(PSQL), "psql is not installed");
        ProcessBuilder builder = new ProcessBuilder(PSQL.toString(), "-X", "-h", dir.toString(), "-p",
                Integer.toString(server.port()), "-U", "app", "-d", "app", "-c", "SELECT pg_sleep(20)")
                .redirectErrorStream(true);
        builder.environment().put("PGPASSWORD", "app");
        Process process = builder.start();
        try {
            Thread.sleep(1_500);
            Process interrupt = new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).start();
            assertThat(interrupt.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(process.waitFor(10, TimeUnit.SECONDS)).as("psql ended well before pg_sleep(20)").isTrue();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(output).contains("canceling statement due to user request");
        } finally {
            process.destroyForcibly();
        }
    }

    /**
     * As PostgreSQL: an SSLRequest on a Unix-domain socket gets N, and {@code tls.mode: require} does not apply to it
     * (libpq never asks for TLS there, whatever its sslmode), while a TCP client is still refused plaintext.
     */
    @Test
    void aSocketClientIsServedWithoutTlsEvenWhenTlsIsRequired() throws Exception {
        SelfSignedCertificate certificate = new SelfSignedCertificate("localhost");
        Path tlsDir = Files.createTempDirectory("pgroute-unix-tls");
        String tls = "  mode: require\n  cert: " + certificate.certificate().getAbsolutePath() + "\n  key: "
                + certificate.privateKey().getAbsolutePath();
        PgrouteServer required = serve(tlsDir, 0, "0777", Map.of("tls", tls));
        Path requiredSocket = required.unixSocket().orElseThrow();
        try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(requiredSocket))) {
            client.write(ByteBuffer.wrap(encode(SSLRequest.INSTANCE)));
            ByteBuffer answer = ByteBuffer.allocate(1);
            assertThat(read(client, answer)).as("the answer to an SSLRequest").isEqualTo(1);
            assertThat(answer.get(0)).isEqualTo((byte) 'N');
            client.write(ByteBuffer.wrap(startupMessage("trusted", "app")));
            assertThat(untilReady(client)).as("AuthenticationOk, then ReadyForQuery").startsWith("R").endsWith("Z");
            if (Files.isExecutable(PSQL)) {
                Psql psql = psql(required, "app", "-c", "SELECT 1");
                assertThat(psql.exit).as(psql.output).isZero();
            }
            try (Connection c = ProxyFixture.connect(required, "sslmode", "disable")) {
                throw new AssertionError("a plaintext TCP client was served with tls.mode: require");
            } catch (java.sql.SQLException e) {
                assertThat(e.getSQLState()).isEqualTo("28000");
            }
        } finally {
            required.stop(Duration.ofSeconds(2));
            certificate.delete();
            Files.deleteIfExists(tlsDir);
        }
    }

    /**
     * {@code auth: peer}: the operating-system user of the client, from the kernel, must be the user's name. The
     * test's own user logs in with no password (to the console too, being an admin); another name is refused with
     * PostgreSQL's 28000, and so is any peer user over TCP.
     */
    @Test
    void peerAuthenticationTrustsTheKernelOnlyOnTheSocket() throws Exception {
        assumeTrue(OS_USER != null, "this process's uid has no name in /etc/passwd");
        try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(server.unixSocket().orElseThrow()))) {
            client.write(ByteBuffer.wrap(startupMessage(OS_USER, "pgroute")));
            assertThat(untilReady(client)).as("AuthenticationOk … ReadyForQuery, no password asked")
                    .startsWith("R").endsWith("Z");
            client.write(ByteBuffer.wrap(query("SHOW CLIENTS")));
            assertThat(untilReady(client)).as("the console answers").startsWith("T").endsWith("Z");
        }
        try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(server.unixSocket().orElseThrow()))) {
            client.write(ByteBuffer.wrap(startupMessage("someone_else", "app")));
            assertThat(errorOf(client)).isEqualTo("28000 Peer authentication failed for user \"someone_else\"");
        }
        try (java.net.Socket tcp = new java.net.Socket("127.0.0.1", server.port())) {
            tcp.setSoTimeout(10_000);
            tcp.getOutputStream().write(startupMessage(OS_USER, "app"));
            byte[] answer = tcp.getInputStream().readAllBytes();
            assertThat(answer).isNotEmpty();
            assertThat((char) answer[0]).isEqualTo('E');
            assertThat(new String(answer, StandardCharsets.UTF_8))
                    .contains("28000", "Peer authentication failed for user \"" + OS_USER + "\"");
        }
    }

    /** The ErrorResponse {@code client} reads next, as {@code "<SQLSTATE> <message>"}. */
    private static String errorOf(SocketChannel client) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(5);
        if (read(client, header) < 5 || header.get(0) != 'E') {
            return "no ErrorResponse: " + (char) header.get(0);
        }
        ByteBuffer body = ByteBuffer.allocate(header.getInt(1) - 4);
        read(client, body);
        ByteBuf wrapped = Unpooled.wrappedBuffer(body.array());
        try {
            ErrorResponse error = ErrorResponse.decode(wrapped);
            return error.sqlState() + " " + error.message();
        } finally {
            wrapped.release();
        }
    }

    private static byte[] query(String sql) {
        return encode(new Query(sql));
    }

    /** SHOW CLIENTS gives a socket client's address as {@code unix}, as PgBouncer does. */
    @Test
    void theConsoleShowsASocketClientAsUnix() throws Exception {
        try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(server.unixSocket().orElseThrow()))) {
            client.write(ByteBuffer.wrap(startupMessage("trusted", "app")));
            assertThat(untilReady(client)).endsWith("Z");
            try (Connection admin = java.sql.DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + server.port()
                    + "/pgroute?user=admin&password=admin&preferQueryMode=simple");
                 Statement s = admin.createStatement(); ResultSet rs = s.executeQuery("SHOW CLIENTS")) {
                List<String> addresses = new ArrayList<>();
                while (rs.next()) {
                    addresses.add(rs.getString("user") + "@" + rs.getString("address"));
                }
                assertThat(addresses).containsExactly("trusted@unix");
            }
        }
    }

    /**
     * A socket file left by a process that was killed is replaced; one a server still listens on is not, and pgroute
     * does not start (as PostgreSQL would not), saying why. The socket file is removed at stop.
     */
    @Test
    void replacesAStaleSocketButNotALiveOne() throws Exception {
        Path own = Files.createTempDirectory("pgroute-unix-stale");
        int port = ProxyFixture.freePort();
        Path socket = own.resolve(".s.PGSQL." + port);
        try {
            try (ServerSocketChannel stale = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                stale.bind(UnixDomainSocketAddress.of(socket));  // closing it leaves the file, as a killed process does
            }
            assertThat(socket).exists();
            PgrouteServer replaced = serve(own, port, "0777", Map.of());
            try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
                client.write(ByteBuffer.wrap(startupMessage("trusted", "app")));
                assertThat(untilReady(client)).endsWith("Z");
            } finally {
                replaced.stop(Duration.ofSeconds(2));
            }
            assertThat(socket).as("removed at stop").doesNotExist();

            int secondPort = ProxyFixture.freePort();
            Path taken = own.resolve(".s.PGSQL." + secondPort);
            try (ServerSocketChannel live = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                live.bind(UnixDomainSocketAddress.of(taken));
                assertThatThrownBy(() -> serve(own, secondPort, "0777", Map.of()))
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("another server is listening on it");
                assertThat(taken).as("the other server's socket is left alone").exists();
            } finally {
                Files.deleteIfExists(taken);
            }
            try (java.net.ServerSocket again = new java.net.ServerSocket(secondPort, 1,
                    java.net.InetAddress.getLoopbackAddress())) {
                assertThat(again.getLocalPort()).as("the TCP port was let go").isEqualTo(secondPort);
            }
        } finally {
            Files.deleteIfExists(socket);
            Files.deleteIfExists(own);
        }
    }

    private record Psql(int exit, String output) {
    }

    private static Psql psql(PgrouteServer target, String password, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(PSQL.toString(), "-X", "-A", "-t", "-h",
                target.unixSocket().map(each -> each.getParent().toString()).orElse(dir.toString()), "-p",
                Integer.toString(target.port()), "-U", "app", "-d", "app"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("PGPASSWORD", password);
        builder.environment().put("PGCONNECT_TIMEOUT", "10");
        builder.environment().put("PGSSLMODE", "require");  // libpq asks for no TLS on a socket, whatever this says
        Process process = builder.start();
        byte[] output = process.getInputStream().readAllBytes();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Psql(process.exitValue(), new String(output, StandardCharsets.UTF_8));
    }

    /** Reads messages until ReadyForQuery (or an ErrorResponse), returning their types in order. */
    private static String untilReady(SocketChannel client) throws IOException {
        StringBuilder types = new StringBuilder();
        ByteBuffer header = ByteBuffer.allocate(5);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            header.clear();
            if (read(client, header) < 5) {
                break;
            }
            char type = (char) header.get(0);
            types.append(type);
            ByteBuffer body = ByteBuffer.allocate(header.getInt(1) - 4);
            read(client, body);
            if (type == 'Z' || type == 'E') {
                break;
            }
        }
        return types.toString();
    }

    /**
     * Fills {@code buffer}, or fewer bytes at the end of the stream or after 10 s without them; returns how many
     * were read.
     */
    private static int read(SocketChannel client, ByteBuffer buffer) throws IOException {
        client.configureBlocking(false);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (buffer.hasRemaining() && System.nanoTime() < deadline) {
            int read = client.read(buffer);
            if (read < 0) {
                break;
            }
            if (read == 0) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            }
        }
        return buffer.position();
    }

    private static byte[] startupMessage(String user, String database) {
        return encode(StartupMessage.of(user, database, Map.of()));
    }

    /** {@code message} as the protocol module encodes it. */
    private static byte[] encode(Object message) {
        ByteBuf buffer = Unpooled.buffer();
        try {
            MessageEncoder.encodeInto(message, buffer);
            byte[] result = new byte[buffer.readableBytes()];
            buffer.readBytes(result);
            return result;
        } finally {
            buffer.release();
        }
    }
}
