package io.pgroute.proxy.session;

import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * pgjdbc through pgroute behaves as against PostgreSQL itself: both protocols, prepared statements past the
 * prepare threshold, binary transfer, transactions, savepoints, COPY both ways, cancel, streaming, notices.
 */
class PassThroughIT {

    private static ProxyFixture fixture;

    @BeforeAll
    static void start() throws SQLException {
        fixture = ProxyFixture.get();
        try (Connection c = fixture.connectDirect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS passthrough_tx (id int PRIMARY KEY, note text)");
            s.execute("TRUNCATE passthrough_tx");
        }
    }

    @Test
    void answersFromThePrimaryWhenHintedThroughTheSimpleProtocol() throws SQLException {
        Properties simple = new Properties();
        simple.setProperty("preferQueryMode", "simple");
        try (Connection c = fixture.connect("app", "app", simple); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(
                     "/* pgroute: primary */ SELECT pg_is_in_recovery(), inet_server_port(), count(*) FROM products")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getBoolean(1)).isFalse();
            assertThat(rs.getInt(2)).isEqualTo(fixture.cluster().primary().port());
            assertThat(rs.getInt(3)).isEqualTo(5);
        }
    }

    @Test
    void reusesPreparedStatementsPastThePrepareThresholdWithBinaryTransfer() throws SQLException {
        Properties props = new Properties();
        props.setProperty("prepareThreshold", "2");
        props.setProperty("binaryTransfer", "true");
        try (Connection c = fixture.connect("app", "app", props);
             PreparedStatement ps = c.prepareStatement("SELECT id, name, price, now()::timestamptz FROM products"
                     + " WHERE id = ?")) {
            for (int i = 0; i < 10; i++) {
                int id = 1 + i % 5;
                ps.setInt(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getInt(1)).isEqualTo(id);
                    assertThat(rs.getString(2)).isNotBlank();
                    assertThat(rs.getBigDecimal(3)).isPositive();
                    assertThat(rs.getTimestamp(4)).isNotNull();
                    assertThat(rs.next()).isFalse();
                }
            }
            assertThat(ps.unwrap(org.postgresql.PGStatement.class).isUseServerPrepare()).isTrue();
        }
    }

    @Test
    void commitsAndRollsBackWithSavepoints() throws SQLException {
        try (Connection c = fixture.connect()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.executeUpdate("INSERT INTO passthrough_tx VALUES (1, 'committed')");
                Savepoint sp = c.setSavepoint("sp1");
                s.executeUpdate("INSERT INTO passthrough_tx VALUES (2, 'rolled back to savepoint')");
                c.rollback(sp);
                s.executeUpdate("INSERT INTO passthrough_tx VALUES (3, 'committed too')");
                c.commit();
                s.executeUpdate("INSERT INTO passthrough_tx VALUES (4, 'rolled back')");
                c.rollback();
            }
        }
        try (Connection direct = fixture.connectDirect(); Statement s = direct.createStatement();
             ResultSet rs = s.executeQuery("SELECT id FROM passthrough_tx ORDER BY id")) {
            List<Integer> ids = new ArrayList<>();
            while (rs.next()) {
                ids.add(rs.getInt(1));
            }
            assertThat(ids).containsExactly(1, 3);
        }
    }

    @Test
    void reportsErrorsWithTheirSqlStateAndCarriesOn() throws SQLException {
        try (Connection c = fixture.connect(); Statement s = c.createStatement()) {
            assertThatThrownBy(() -> s.executeQuery("SELECT * FROM no_such_table"))
                    .isInstanceOf(SQLException.class)
                    .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo("42P01");
            try (ResultSet rs = s.executeQuery("SELECT 1")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(1);
            }
        }
    }

    @Test
    void relaysNotices() throws SQLException {
        try (Connection c = fixture.connect(); Statement s = c.createStatement()) {
            s.execute("DO $$ BEGIN RAISE NOTICE 'hello from plpgsql'; END $$");
            SQLWarning warning = s.getWarnings();
            assertThat((Object) warning).isNotNull();
            assertThat(warning.getMessage()).contains("hello from plpgsql");
        }
    }

    /**
     * COMPAT A1: notices arrive where PostgreSQL sends them: a RAISE NOTICE per row between the DataRows, a DROP …
     * IF EXISTS notice before its CommandComplete, a DO block's before its {@code DO}, and notices between the
     * CopyData of a COPY TO STDOUT. The same Query through pgroute and straight to the primary gives the same
     * messages in the same order, with the same notice texts.
     */
    @Test
    void noticesArriveInTheStreamWherePostgresqlSendsThem() throws Exception {
        String user = "notice_direct";
        try (Connection c = fixture.connectDirect(); Statement s = c.createStatement()) {
            s.execute("CREATE OR REPLACE FUNCTION pt_noisy(i int) RETURNS int LANGUAGE plpgsql AS "
                    + "$$ BEGIN RAISE NOTICE 'row %', i; RETURN i; END $$");
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_roles WHERE rolname = '" + user + "'")) {
                rs.next();
                if (rs.getInt(1) == 0) {
                    fixture.cluster().createMd5User(user, user);
                }
            }
        }
        fixture.cluster().awaitReplication(java.time.Duration.ofSeconds(10));
        String sql = "/* pgroute: primary */ SELECT pt_noisy(i) FROM generate_series(1, 3) i; "
                + "DROP TABLE IF EXISTS pt_never_there; "
                + "DO $$ BEGIN RAISE NOTICE 'from do'; RAISE WARNING 'a warning'; END $$; "
                + "COPY (SELECT pt_noisy(i) FROM generate_series(4, 5) i) TO STDOUT";
        java.util.List<String> direct;
        try (WireClient client = WireClient.connect(fixture.cluster().primary().port(), user, user, "app")) {
            client.send(new io.pgroute.protocol.frontend.Query(sql));
            direct = describe(client.readUntilReady());
        }
        assertThat(direct).containsSubsequence("N row 1", "D", "N row 2", "D", "N row 3", "D", "C SELECT 3",
                "N table \"pt_never_there\" does not exist, skipping", "C DROP TABLE", "N from do", "N a warning",
                "C DO", "H", "N row 4", "d", "N row 5", "d", "c", "C COPY 2", "Z");
        try (WireClient client = WireClient.connect(fixture.port(), "trusted", "app")) {
            client.send(new io.pgroute.protocol.frontend.Query(sql));
            assertThat(describe(client.readUntilReady())).isEqualTo(direct);
        }
    }

    /** Each message as its type, with a notice's text or a CommandComplete's tag. */
    private static java.util.List<String> describe(java.util.List<WireClient.Message> messages) {
        java.util.List<String> result = new java.util.ArrayList<>();
        for (WireClient.Message each : messages) {
            if (each.type() == 'N') {
                result.add("N " + each.decode(io.pgroute.protocol.backend.NoticeResponse::decode).message());
            } else if (each.type() == 'C') {
                result.add("C " + each.decode(io.pgroute.protocol.backend.CommandComplete::decode).tag());
            } else {
                result.add(String.valueOf(each.type()));
            }
        }
        return result;
    }

    /**
     * COMPAT C1: a COPY holds its server connection from CopyInResponse to ReadyForQuery, in autocommit too. Four
     * clients copy 50 000 rows each at once through a pool of two connections per node: every row arrives, each
     * client's in its own COPY (none interleaved with another's data, none cut off by another client's turn).
     */
    @Test
    void concurrentCopiesThroughAPoolOfTwoEachLoadEveryRow() throws Exception {
        try (Connection c = fixture.connectDirect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS copy_concurrent (client int, n int, payload text)");
            s.execute("TRUNCATE copy_concurrent");
        }
        int clients = 4;
        int rows = 50_000;
        try (io.pgroute.proxy.server.PgrouteServer server = ProxyFixture.server("copy-concurrent.yaml",
                java.util.Map.of("pool", "  size: 2"))) {
            java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(clients);
            List<CompletableFuture<Long>> copies = new ArrayList<>();
            for (int client = 0; client < clients; client++) {
                int id = client;
                copies.add(CompletableFuture.supplyAsync(() -> {
                    StringBuilder data = new StringBuilder();
                    for (int i = 0; i < rows; i++) {
                        data.append(id).append('\t').append(i).append('\t').append("client ").append(id).append(" row ")
                                .append(i).append('\n');
                    }
                    try (Connection c = ProxyFixture.connect(server)) {
                        return c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY copy_concurrent FROM STDIN",
                                new ByteArrayInputStream(data.toString().getBytes(StandardCharsets.UTF_8)));
                    } catch (Exception e) {
                        throw new java.util.concurrent.CompletionException(e);
                    }
                }, threads));
            }
            try {
                for (CompletableFuture<Long> each : copies) {
                    assertThat(each.get(120, TimeUnit.SECONDS)).isEqualTo(rows);
                }
            } finally {
                threads.shutdownNow();
            }
        }
        try (Connection c = fixture.connectDirect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT client, count(*), count(DISTINCT n), "
                     + "bool_and(payload = 'client ' || client || ' row ' || n) FROM copy_concurrent "
                     + "GROUP BY client ORDER BY client")) {
            for (int client = 0; client < clients; client++) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(client);
                assertThat(rs.getInt(2)).isEqualTo(rows);
                assertThat(rs.getInt(3)).isEqualTo(rows);
                assertThat(rs.getBoolean(4)).as("client %d's rows are its own", client).isTrue();
            }
            assertThat(rs.next()).isFalse();
        }
    }

    @Test
    void copiesHundredThousandRowsInAndOutIntact() throws Exception {
        StringBuilder data = new StringBuilder();
        for (int i = 0; i < 100_000; i++) {
            data.append(i).append('\t').append("row-").append(i * 7).append('\n');
        }
        byte[] input = data.toString().getBytes(StandardCharsets.UTF_8);
        try (Connection c = fixture.connect(); Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS copy_target");
            s.execute("CREATE TABLE copy_target (id int, payload text)");
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            long copied = copy.copyIn("COPY copy_target FROM STDIN", new ByteArrayInputStream(input));
            assertThat(copied).isEqualTo(100_000);
            ByteArrayOutputStream output = new ByteArrayOutputStream();
            long exported = copy.copyOut("COPY (SELECT * FROM copy_target ORDER BY id) TO STDOUT", output);
            assertThat(exported).isEqualTo(100_000);
            assertThat(sha256(output.toByteArray())).isEqualTo(sha256(input));
            s.execute("DROP TABLE copy_target");
        }
    }

    @Test
    void cancelsARunningQueryWithin57014() throws Exception {
        try (Connection c = fixture.connect(); Statement s = c.createStatement()) {
            CompletableFuture<Throwable> running = CompletableFuture.supplyAsync(() -> {
                try {
                    s.execute("SELECT pg_sleep(10)");
                    return null;
                } catch (SQLException e) {
                    return e;
                }
            });
            Thread.sleep(300);
            long started = System.nanoTime();
            s.cancel();
            Throwable failure = running.get(5, TimeUnit.SECONDS);
            long tookMillis = (System.nanoTime() - started) / 1_000_000;
            assertThat(failure).isInstanceOf(SQLException.class);
            assertThat(((SQLException) failure).getSQLState()).isEqualTo("57014");
            assertThat(tookMillis).as("cancel round trip in ms").isLessThan(1000);
            try (ResultSet rs = s.executeQuery("SELECT 42")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(42);
            }
        }
    }

    @Test
    void streamsTwoHundredThousandRowsWithFetchSize() throws SQLException {
        try (Connection c = fixture.connect()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.setFetchSize(1000);
                long count = 0;
                long sum = 0;
                try (ResultSet rs = s.executeQuery("SELECT g, repeat('x', 50) FROM generate_series(1, 200000) g")) {
                    while (rs.next()) {
                        count++;
                        sum += rs.getLong(1);
                    }
                }
                assertThat(count).isEqualTo(200_000);
                assertThat(sum).isEqualTo(200_000L * 200_001L / 2);
            }
            c.commit();
        }
    }

    @Test
    void reportsThePrimarysServerVersionAndNotAStandby() throws SQLException {
        try (Connection c = fixture.connect(); Connection direct = fixture.connectDirect()) {
            var proxied = c.unwrap(PGConnection.class).getParameterStatuses();
            var primary = direct.unwrap(PGConnection.class).getParameterStatuses();
            assertThat(proxied.get("server_version")).isEqualTo(primary.get("server_version"));
            assertThat(proxied.get("in_hot_standby")).isEqualTo("off");
            assertThat(proxied.get("client_encoding")).isEqualTo("UTF8");
            assertThat(proxied.get("DateStyle")).startsWith("ISO");
        }
    }

    private static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    /**
     * pgjdbc's large objects go over the FunctionCall message (lo_creat, lo_open, lowrite, loread through fastpath,
     * COMPAT C6): 5 MB written in 64 kB pieces, read back whole and compared, then read directly from the primary.
     */
    @Test
    void largeObjectsRoundTripThroughFunctionCalls() throws Exception {
        byte[] data = new byte[5 * 1024 * 1024];
        new java.util.Random(7).nextBytes(data);
        long oid;
        try (Connection c = fixture.connect()) {
            c.setAutoCommit(false);
            org.postgresql.largeobject.LargeObjectManager objects = c.unwrap(PGConnection.class)
                    .getLargeObjectAPI();
            oid = objects.createLO();
            try (org.postgresql.largeobject.LargeObject written = objects.open(oid,
                    org.postgresql.largeobject.LargeObjectManager.WRITE)) {
                for (int at = 0; at < data.length; at += 65536) {
                    written.write(data, at, Math.min(65536, data.length - at));
                }
            }
            c.commit();
            try (org.postgresql.largeobject.LargeObject read = objects.open(oid,
                    org.postgresql.largeobject.LargeObjectManager.READ)) {
                assertThat(read.size()).isEqualTo(data.length);
                assertThat(read.read(data.length)).as("the object as written").isEqualTo(data);
            }
            c.commit();
        }
        try (Connection direct = fixture.connectDirect(); Statement s = direct.createStatement();
             ResultSet rs = s.executeQuery("SELECT md5(lo_get(" + oid + ")), lo_unlink(" + oid + ")")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).as("what the primary holds")
                    .isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(data)));
        }
    }
}
