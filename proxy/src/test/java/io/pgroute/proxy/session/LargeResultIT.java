package io.pgroute.proxy.session;

import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A 1 GB result (a million rows of 1 000 bytes) streams through a pgroute whose heap is capped at 128 MB (DESIGN.md's
 * target): the proxy process, started from the built jar with {@code -Xmx128m}, relays every row, and is still alive
 * and answering afterwards. pgjdbc reads it by portal, 2 000 rows at a time; psql (where installed) asks for it as
 * one result of the simple protocol, which the proxy must relay without ever holding it. A single value of 256 MB,
 * twice the proxy's heap and its direct-memory limit, goes through too: a message that long is relayed in pieces.
 */
class LargeResultIT {

    private static final int ROWS = 1_000_000;
    private static final int WIDTH = 1_000;
    private static final Path PSQL = Path.of("/usr/bin/psql");
    private static final int VALUE_BYTES = 256 << 20;

    @Test
    void aGigabyteResultStreamsThroughAProxyWithA128MegabyteHeap() throws Exception {
        try (SmallProxy proxy = new SmallProxy()) {
            // a proxy that stalls (holding the result instead of relaying it) fails the read within a minute
            String url = proxy.url("socketTimeout=60");
            long rows = 0;
            long bytes = 0;
            try (Connection c = DriverManager.getConnection(url, "app", "app")) {
                c.setAutoCommit(false);  // pgjdbc fetches by portal only inside a transaction
                try (Statement s = c.createStatement()) {
                    s.setFetchSize(2_000);
                    try (ResultSet rs = s.executeQuery("SELECT repeat('x', " + WIDTH + ") FROM generate_series(1, "
                            + ROWS + ")")) {
                        while (rs.next()) {
                            rows++;
                            bytes += rs.getString(1).length();
                        }
                    }
                }
                c.commit();
            }
            assertThat(rows).isEqualTo(ROWS);
            assertThat(bytes).isEqualTo((long) ROWS * WIDTH);
            proxy.assertAlive();
            try (Connection c = DriverManager.getConnection(url, "app", "app"); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT 42")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(42);
            }
            if (Files.isExecutable(PSQL)) {
                assertThat(psqlBytes(proxy, "SELECT repeat('x', " + WIDTH + ") FROM generate_series(1, " + ROWS
                        + ")")).as("psql's output: every row and its newline")
                        .isEqualTo((long) ROWS * (WIDTH + 1));
            }
            proxy.assertAlive();
        }
    }

    @Test
    void aValueLargerThanTheProxysMemoryLimitGoesThroughAndTheConnectionGoesOn() throws Exception {
        try (SmallProxy proxy = new SmallProxy()) {
            String url = proxy.url("socketTimeout=60");
            try (Connection c = DriverManager.getConnection(url, "app", "app"); Statement s = c.createStatement()) {
                // a DataRow of 256 MB, then the rest of the answer in the same read: all of it must arrive in order
                try (ResultSet rs = s.executeQuery("SELECT repeat('ab', " + VALUE_BYTES / 2 + ") || 'z', 7")) {
                    assertThat(rs.next()).isTrue();
                    String value = rs.getString(1);
                    assertThat(value.length()).isEqualTo(VALUE_BYTES + 1);
                    assertThat(value).startsWith("abab").endsWith("abz");
                    assertThat(rs.getInt(2)).isEqualTo(7);
                    assertThat(rs.next()).isFalse();
                }
                try (ResultSet rs = s.executeQuery("SELECT 42")) {  // the same connection: the framing held
                    rs.next();
                    assertThat(rs.getInt(1)).isEqualTo(42);
                }
            }
            if (Files.isExecutable(PSQL)) {
                assertThat(psqlBytes(proxy, "SELECT repeat('x', " + VALUE_BYTES + ")"))
                        .isEqualTo(VALUE_BYTES + 1L);
                // a Query longer than limits.max_read_query_bytes goes on unread, in pieces (COMPAT L1): it used to
                // be held whole, and one larger than the proxy's memory got 53200
                assertThat(psqlScript(proxy.port, "SELECT length('" + "y".repeat(VALUE_BYTES) + "');\n"))
                        .contains(String.valueOf(VALUE_BYTES)).doesNotContain("ERROR").doesNotContain("FATAL");
                try (Connection c = DriverManager.getConnection(url, "app", "app"); Statement s = c.createStatement();
                     ResultSet rs = s.executeQuery("SELECT 43")) {
                    rs.next();
                    assertThat(rs.getInt(1)).isEqualTo(43);
                }
            }
            proxy.assertAlive();
            assertThat(Files.readString(proxy.log)).doesNotContain("backend closed");
        }
    }

    /**
     * COMPAT L1: a simple Query of 256 MB, twice the proxy's heap (psycopg2 and pgjdbc's simple mode write a bytea or
     * a text into the statement itself), goes on to the primary in pieces as it arrives, unread.
     */
    @Test
    void aQueryLargerThanTheProxysMemoryLimitGoesThrough() throws Exception {
        try (SmallProxy proxy = new SmallProxy()) {
            String url = proxy.url("socketTimeout=120&preferQueryMode=simple");
            try (Connection c = DriverManager.getConnection(url, "app", "app"); Statement s = c.createStatement()) {
                try (ResultSet rs = s.executeQuery("SELECT length('" + "q".repeat(VALUE_BYTES) + "'), "
                        + "pg_is_in_recovery()")) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getLong(1)).isEqualTo(VALUE_BYTES);
                    assertThat(rs.getBoolean(2)).as("unread: on the primary").isFalse();
                }
                try (ResultSet rs = s.executeQuery("SELECT 44")) {
                    rs.next();
                    assertThat(rs.getInt(1)).isEqualTo(44);
                }
            }
            proxy.assertAlive();
        }
    }

    @Test
    void aParameterLargerThanTheProxysMemoryLimitGoesIn() throws Exception {
        byte[] upload = new byte[160 << 20];  // a Bind of 160 MB: more than the proxy's heap and direct memory
        new java.util.Random(7).nextBytes(upload);
        String md5 = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("MD5").digest(upload));
        try (SmallProxy proxy = new SmallProxy()) {
            // prepareThreshold=1: the second upload binds a named statement, renamed on its way (the first is unnamed)
            String url = proxy.url("socketTimeout=120&prepareThreshold=1");
            try (Connection c = DriverManager.getConnection(url, "app", "app"); Statement s = c.createStatement()) {
                s.execute("DROP TABLE IF EXISTS big_upload");
                s.execute("CREATE TABLE big_upload (id int, v bytea)");
                try (java.sql.PreparedStatement insert = c.prepareStatement(
                        "INSERT INTO big_upload VALUES (?, ?)")) {
                    for (int id = 1; id <= 2; id++) {
                        insert.setInt(1, id);
                        insert.setBytes(2, upload);
                        assertThat(insert.executeUpdate()).isEqualTo(1);
                    }
                }
                try (ResultSet rs = s.executeQuery("/* pgroute: primary */ SELECT id, length(v), md5(v) FROM "
                        + "big_upload ORDER BY id")) {
                    for (int id = 1; id <= 2; id++) {
                        assertThat(rs.next()).isTrue();
                        assertThat(rs.getInt(1)).isEqualTo(id);
                        assertThat(rs.getLong(2)).isEqualTo(upload.length);
                        assertThat(rs.getString(3)).isEqualTo(md5);
                    }
                }
                s.execute("DROP TABLE big_upload");
            }
            proxy.assertAlive();
        }
    }

    /** What psql prints on stderr running {@code script} from a file, with SQLSTATEs. */
    private static String psqlScript(int port, String script) throws Exception {
        Path file = Files.createTempFile("pgroute-script", ".sql");
        Path errors = Files.createTempFile("pgroute-script", ".err");
        try {
            Files.writeString(file, script);
            ProcessBuilder builder = new ProcessBuilder(PSQL.toString(), "-X", "-q", "-v", "VERBOSITY=verbose",
                    "host=127.0.0.1 port=" + port + " dbname=app user=app sslmode=disable", "-f", file.toString());
            builder.environment().put("PGPASSWORD", "app");
            Process psql = builder.redirectErrorStream(true).redirectOutput(errors.toFile()).start();
            if (!psql.waitFor(120, TimeUnit.SECONDS)) {
                psql.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            return Files.readString(errors);
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(errors);
        }
    }

    /**
     * pgroute from the built jar with a 128 MB heap and as much direct memory, accepting messages up to 1 GiB (its
     * default); stopped and its files deleted on close.
     */
    private static final class SmallProxy implements AutoCloseable {
        private final int port = ProxyFixture.freePort();
        private final Path config = Files.createTempFile("pgroute-small", ".yaml");
        private final Path log = Files.createTempFile("pgroute-small", ".log");
        private final java.sql.Timestamp started = new java.sql.Timestamp(System.currentTimeMillis() - 1_000);
        private final Process process;

        SmallProxy() throws Exception {
            String yaml = ProxyFixture.yaml(ProxyFixture.get().cluster(), Map.of())
                    .replace("listen: { host: 127.0.0.1, port: 0 }", "listen: { host: 127.0.0.1, port: " + port + " }")
                    .replace("max_frame_bytes: 16MiB", "max_frame_bytes: 1GiB");
            Files.writeString(config, yaml);
            String java = ProcessHandle.current().info().command().orElse("java");
            process = new ProcessBuilder(java, "-Xms32m", "-Xmx128m", "-XX:MaxDirectMemorySize=128m",
                    "-XX:+ExitOnOutOfMemoryError", "-jar", ProxyFixture.jar().toString(), "--config", config.toString())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        }

        /** The JDBC URL with {@code options}, once the proxy answers on it. */
        String url(String options) throws Exception {
            String url = "jdbc:postgresql://127.0.0.1:" + port + "/app?" + options;
            awaitAnswer(url, process, log);
            return url;
        }

        void assertAlive() throws IOException {
            assertThat(process.isAlive()).as("the proxy survived; its log: %s", tail(log)).isTrue();
            assertThat(Files.readString(log)).doesNotContain("OutOfMemoryError");
        }

        /**
         * Stops the proxy, then waits until the server processes of its connections have gone too: one still
         * computing a large value when the proxy went away would count against the next test's connections.
         */
        @Override
        public void close() throws Exception {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            Files.deleteIfExists(config);
            Files.deleteIfExists(log);
            var cluster = ProxyFixture.get().cluster();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            try (Connection c = DriverManager.getConnection(cluster.primary().jdbcUrl("postgres"), cluster.superuser(),
                    cluster.superuserPassword());
                 java.sql.PreparedStatement count = c.prepareStatement("SELECT count(*) FROM pg_stat_activity "
                         + "WHERE usename = 'app' AND backend_type = 'client backend' AND backend_start >= ? "
                         + "AND application_name NOT LIKE 'pgroute-%'")) {  // the monitors and catalogs stay
                count.setTimestamp(1, started);
                while (System.nanoTime() - deadline < 0) {
                    try (ResultSet rs = count.executeQuery()) {
                        rs.next();
                        if (rs.getInt(1) == 0) {
                            return;
                        }
                    }
                    Thread.sleep(100);
                }
            }
        }
    }

    /** Bytes psql prints for the whole result of {@code sql} read as one simple-protocol answer. */
    private static long psqlBytes(SmallProxy proxy, String sql) throws Exception {
        int port = proxy.port;
        Path log = proxy.log;
        ProcessBuilder builder = new ProcessBuilder(PSQL.toString(), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                "host=127.0.0.1 port=" + port + " dbname=app user=app sslmode=disable", "-c", sql);
        builder.environment().put("PGPASSWORD", "app");
        Path errors = Files.createTempFile("pgroute-large-psql", ".err");
        builder.redirectError(errors.toFile());
        Process psql = builder.start();
        Thread watchdog = new Thread(() -> {
            try {
                if (!psql.waitFor(120, TimeUnit.SECONDS)) {
                    psql.destroyForcibly();  // a stalled proxy: the count comes out short
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "psql-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        long count = 0;
        byte[] buffer = new byte[1 << 16];
        try (var out = psql.getInputStream()) {
            for (int n = out.read(buffer); n >= 0; n = out.read(buffer)) {
                count += n;
            }
        }
        try {
            assertThat(psql.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(psql.exitValue()).as("psql's exit status after %d bytes; psql said: %s; the proxy's log: %s",
                    count, Files.readString(errors), tail(log)).isZero();
            return count;
        } finally {
            Files.deleteIfExists(errors);
        }
    }

    private static void awaitAnswer(String url, Process proxy, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            assertThat(proxy.isAlive()).as("the proxy exited early: %s", tail(log)).isTrue();
            try (Connection c = DriverManager.getConnection(url, "app", "app")) {
                return;
            } catch (SQLException notYet) {
                if (System.nanoTime() - deadline > 0) {
                    throw new AssertionError("the proxy did not answer within 60 s: " + tail(log), notYet);
                }
                Thread.sleep(200);
            }
        }
    }

    private static String tail(Path log) throws IOException {
        String text = Files.readString(log);
        return text.length() > 4_000 ? text.substring(text.length() - 4_000) : text;
    }
}
