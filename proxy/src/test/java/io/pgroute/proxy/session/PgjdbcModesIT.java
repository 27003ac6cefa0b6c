package io.pgroute.proxy.session;

import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.session.BackgroundClients.Settings;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * COMPAT V11: pgjdbc in each of its modes sees through pgroute what it sees from PostgreSQL. Every combination of
 * {@code prepareThreshold} 0, 1 and 5 (unnamed statements only, named {@code S_n} at once, after five runs),
 * {@code binaryTransfer} on and off (binary results once a statement is server-prepared and described) and
 * {@code autosave} never, always and conservative (a {@code SAVEPOINT PGJDBC_AUTOSAVE} around statements; with
 * binary transfer on, since the savepoints do not depend on the result format) runs one
 * script of what pgjdbc's own PreparedStatementTest, BatchExecuteTest and PreparedStatement64KBindsTest exercise:
 * typed reads of every common type repeated across the threshold, a batch of 200 inserts, a batch returning its
 * generated keys, a read with a fetch size (a portal suspended and resumed), a statement with 65 535 bind values,
 * an error in a transaction and what follows it. The script's transcript (every value through the typed getters,
 * update counts, SQLSTATEs) against the primary directly must equal the one through a pgroute whose pool of two
 * connections two other clients keep busy (so named statements move between server connections and reads go to
 * the replicas), and the one through a pgroute with the result cache, run twice so that repeated reads come from it
 * in each mode's result formats.
 */
class PgjdbcModesIT {

    private static final List<String> THRESHOLDS = List.of("0", "1", "5");
    private static final List<String> BINARY = List.of("true", "false");
    private static final List<String> AUTOSAVE = List.of("never", "always", "conservative");
    /** Bind values of the largest statement: PostgreSQL's limit, as in pgjdbc's PreparedStatement64KBindsTest. */
    private static final int MAX_BINDS = 65_535;
    private static final int BATCH = 200;

    private static ProxyFixture fixture;
    private static PgrouteServer pooled;
    private static PgrouteServer cached;

    @BeforeAll
    static void start() throws Exception {
        fixture = ProxyFixture.get();
        try (Connection c = fixture.connectDirect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS v11_ref (id int PRIMARY KEY, i4 int, i8 bigint, num numeric(12,3),"
                    + " f8 float8, b bool, t text, d date, ts timestamp, tstz timestamptz, by bytea, u uuid,"
                    + " ia int[], ta text[], js jsonb, iv interval)");
            s.execute("TRUNCATE v11_ref");
            s.execute("INSERT INTO v11_ref SELECT g, g * 7, g::bigint * 10000000000, g * 1.125, g / 3.0, g % 2 = 0,"
                    + " 'row ' || g || ' ü', date '2026-01-01' + g, timestamp '2026-01-01 10:00' + g * interval '1 hour',"
                    + " timestamptz '2026-01-01 10:00+00' + g * interval '1 minute', decode(lpad(to_hex(g), 4, '0'),"
                    + " 'hex'), md5(g::text)::uuid, ARRAY[g, g + 1, NULL], ARRAY['a' || g, 'b \"q\"', NULL],"
                    + " jsonb_build_object('g', g, 'l', ARRAY[1, 2]), g * interval '1 day 2 hours'"
                    + " FROM generate_series(1, 40) g");
            s.execute("INSERT INTO v11_ref (id) VALUES (41)");  // every other column NULL
            s.execute("CREATE TABLE IF NOT EXISTS v11_items (id bigserial PRIMARY KEY, run text NOT NULL, n int,"
                    + " label text, payload bytea)");
            s.execute("TRUNCATE v11_items");
        }
        fixture.cluster().awaitReplication(Duration.ofSeconds(10));
        pooled = ProxyFixture.server("pgjdbc-modes.yaml", Map.of("pool", "  size: 2"));
        String cache = "  enabled: true\n  redis: " + fixture.cluster().redis().orElseThrow().uri() + "\n";
        cached = ProxyFixture.server("pgjdbc-modes-cache.yaml", Map.of("pool", "  size: 2", "cache", cache));
    }

    @AfterAll
    static void stop() {
        for (PgrouteServer each : new PgrouteServer[] {pooled, cached}) {
            if (each != null) {
                each.stop(Duration.ofSeconds(2));
            }
        }
    }

    @Test
    void everyModeSeesWhatItSeesFromPostgresql() throws Exception {
        long hitsBefore = cached.resultCache().orElseThrow().redis().stats().hits();
        Settings defaults;
        try (Connection c = fixture.connectDirect(); Statement s = c.createStatement()) {
            defaults = BackgroundClients.read(s);
        }
        int runs = 0;
        try (BackgroundClients others = new BackgroundClients(2, () -> ProxyFixture.connect(pooled), defaults)) {
            for (String threshold : THRESHOLDS) {
                for (String binary : BINARY) {
                    for (String autosave : AUTOSAVE) {
                        if (!autosave.equals("never") && binary.equals("false")) {
                            continue;  // the savepoints around statements do not depend on the result format
                        }
                        Properties mode = new Properties();
                        mode.setProperty("prepareThreshold", threshold);
                        mode.setProperty("binaryTransfer", binary);
                        mode.setProperty("autosave", autosave);
                        String label = "prepareThreshold=" + threshold + " binaryTransfer=" + binary + " autosave="
                                + autosave;
                        runs++;
                        boolean manyBinds = autosave.equals("never");  // autosave adds nothing to a read
                        List<String> direct;
                        try (Connection c = open(fixture.cluster().primary().port(), mode)) {
                            direct = script(c, "direct-" + runs, manyBinds);
                        }
                        try (Connection c = open(pooled.port(), mode)) {
                            assertSame(label + ", through pgroute", script(c, "pooled-" + runs, manyBinds), direct);
                        }
                        for (int round = 1; round <= 2; round++) {
                            try (Connection c = open(cached.port(), mode)) {
                                assertSame(label + ", through pgroute with the cache, round " + round,
                                        script(c, "cached-" + runs + "-" + round, manyBinds), direct);
                            }
                        }
                    }
                }
            }
        }
        assertThat(cached.resultCache().orElseThrow().redis().stats().hits() - hitsBefore)
                .as("reads answered from the cache").isPositive();
    }

    /** The first line that differs, rather than two whole transcripts. */
    private static void assertSame(String label, List<String> actual, List<String> direct) {
        for (int i = 0; i < Math.min(actual.size(), direct.size()); i++) {
            assertThat(actual.get(i)).as("%s, line %d", label, i + 1).isEqualTo(direct.get(i));
        }
        assertThat(actual).as(label).hasSameSizeAs(direct);
    }

    private static Connection open(int port, Properties mode) throws SQLException {
        Properties props = new Properties();
        props.putAll(mode);
        props.setProperty("user", "app");
        props.setProperty("password", "app");
        props.setProperty("connectTimeout", "10");
        props.setProperty("socketTimeout", "60");
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + ProxyFixture.DATABASE,
                props);
    }

    /**
     * What the user of pgjdbc would notice from one run of the script; {@code run} keeps its rows apart;
     * {@code manyBinds}: with the statement of 65 535 bind values.
     */
    private static List<String> script(Connection c, String run, boolean manyBinds) throws SQLException {
        List<String> out = new ArrayList<>();
        // typed reads, across the threshold: unnamed, then S_n, then (binaryTransfer) binary results
        try (PreparedStatement read = c.prepareStatement("SELECT * FROM v11_ref WHERE id <= ? OR id = 41"
                + " ORDER BY id")) {
            for (int i = 1; i <= 7; i++) {
                read.setInt(1, i * 5);
                try (ResultSet rs = read.executeQuery()) {
                    out.add("read " + i + ": " + rows(rs));
                }
            }
        }
        // without parameters: the same cache key in every mode but for the result formats
        try (PreparedStatement read = c.prepareStatement("SELECT * FROM v11_ref WHERE id % 8 = 1 ORDER BY id")) {
            for (int i = 1; i <= 7; i++) {
                try (ResultSet rs = read.executeQuery()) {
                    out.add("plain read " + i + ": " + rows(rs));
                }
            }
        }
        try (PreparedStatement typed = c.prepareStatement("SELECT ?::int + 1, ?::bigint * 2, ?::numeric / 4,"
                + " ?::text || '!', ?::bytea, ?::timestamptz, ?::bool")) {
            for (int i = 0; i < 6; i++) {
                typed.setInt(1, i);
                typed.setLong(2, 1L << (20 + i));
                typed.setBigDecimal(3, new BigDecimal("12.5").add(BigDecimal.valueOf(i)));
                typed.setString(4, "v" + i + " ü");
                typed.setBytes(5, new byte[] {(byte) i, 0, (byte) 0xff});
                typed.setTimestamp(6, java.sql.Timestamp.valueOf("2026-03-0" + (i + 1) + " 12:34:56.789"));
                typed.setBoolean(7, i % 2 == 0);
                try (ResultSet rs = typed.executeQuery()) {
                    out.add("bound " + i + ": " + rows(rs));
                }
            }
        }

        // a batch of inserts in a transaction, then what it wrote (read-your-writes: maybe on a replica)
        c.setAutoCommit(false);
        try (PreparedStatement insert = c.prepareStatement("INSERT INTO v11_items (run, n, label, payload)"
                + " VALUES (?, ?, ?, ?)")) {
            for (int i = 0; i < BATCH; i++) {
                insert.setString(1, run);
                insert.setInt(2, i);
                insert.setString(3, "item " + i);
                insert.setBytes(4, ("payload " + i + " ").repeat(50).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                insert.addBatch();
            }
            out.add("batch: " + Arrays.toString(Arrays.stream(insert.executeBatch()).distinct().toArray()));
        }
        c.commit();
        c.setAutoCommit(true);
        try (PreparedStatement count = c.prepareStatement("SELECT count(*), sum(n), sum(length(payload))"
                + " FROM v11_items WHERE run = ?")) {
            count.setString(1, run);
            try (ResultSet rs = count.executeQuery()) {
                out.add("after the batch: " + rows(rs));
            }
        }

        // a batch that returns its generated keys
        try (PreparedStatement insert = c.prepareStatement("INSERT INTO v11_items (run, n) VALUES (?, ?)",
                Statement.RETURN_GENERATED_KEYS)) {
            for (int i = 0; i < 20; i++) {
                insert.setString(1, run);
                insert.setInt(2, 1000 + i);
                insert.addBatch();
            }
            insert.executeBatch();
            List<Long> keys = new ArrayList<>();
            try (ResultSet rs = insert.getGeneratedKeys()) {
                while (rs.next()) {
                    keys.add(rs.getLong("id"));
                }
            }
            out.add("generated keys: " + keys.size() + ", distinct " + keys.stream().distinct().count()
                    + ", ascending " + keys.equals(keys.stream().sorted().toList()));
        }

        // a fetch size: the portal is suspended after each 7 rows and resumed, in one transaction
        c.setAutoCommit(false);
        try (PreparedStatement fetch = c.prepareStatement("SELECT n, label FROM v11_items WHERE run = ? AND n < 1000"
                + " ORDER BY n")) {
            fetch.setFetchSize(7);
            fetch.setString(1, run);
            StringBuilder seen = new StringBuilder();
            int rows = 0;
            try (ResultSet rs = fetch.executeQuery()) {
                while (rs.next()) {
                    rows++;
                    seen.append(rs.getInt(1)).append('=').append(rs.getString(2)).append(';');
                }
            }
            out.add("fetched " + rows + ": " + seen.toString().hashCode());
        }
        c.commit();
        c.setAutoCommit(true);

        if (manyBinds) {
            out.addAll(manyBinds(c, run));
        }

        // an error in a transaction: autosave goes on after it, never does not
        c.setAutoCommit(false);
        try (PreparedStatement insert = c.prepareStatement("INSERT INTO v11_items (run, n) VALUES (?, ?)");
             PreparedStatement fail = c.prepareStatement("SELECT 1 / (? - ?)")) {
            for (int n : new int[] {5000, -1, 5001}) {
                try {
                    if (n < 0) {
                        fail.setInt(1, 3);
                        fail.setInt(2, 3);
                        fail.executeQuery().close();
                    } else {
                        insert.setString(1, run);
                        insert.setInt(2, n);
                        out.add("insert " + n + ": " + insert.executeUpdate());
                    }
                } catch (SQLException e) {
                    out.add("statement " + n + ": " + e.getSQLState());
                }
            }
            try {
                c.commit();
                out.add("commit: ok");
            } catch (SQLException e) {
                out.add("commit: " + e.getSQLState());
                c.rollback();
            }
        }
        c.setAutoCommit(true);
        try (PreparedStatement count = c.prepareStatement("SELECT count(*) FROM v11_items WHERE run = ? AND n >= 5000")) {
            count.setString(1, run);
            try (ResultSet rs = count.executeQuery()) {
                out.add("kept after the error: " + rows(rs));
            }
        }
        return out;
    }

    /** 65 535 bind values in one Bind, twice (across a threshold of 1). */
    private static List<String> manyBinds(Connection c, String run) throws SQLException {
        List<String> out = new ArrayList<>();
        StringBuilder in = new StringBuilder("SELECT count(*), max(n) FROM v11_items WHERE run = ? AND n IN (");
        for (int i = 1; i < MAX_BINDS; i++) {
            in.append(i == 1 ? "?" : ",?");
        }
        try (PreparedStatement many = c.prepareStatement(in.append(')').toString())) {
            for (int round = 0; round < 2; round++) {
                many.setString(1, run);
                for (int i = 2; i <= MAX_BINDS; i++) {
                    many.setInt(i, (i * 3 + round) % 2_000);
                }
                try (ResultSet rs = many.executeQuery()) {
                    out.add("65535 binds, round " + round + ": " + rows(rs));
                }
            }
        }
        return out;
    }

    /** Every row, every column through its type's getter and as a string. */
    private static String rows(ResultSet rs) throws SQLException {
        ResultSetMetaData meta = rs.getMetaData();
        StringBuilder result = new StringBuilder();
        while (rs.next()) {
            result.append('[');
            for (int i = 1; i <= meta.getColumnCount(); i++) {
                String type = meta.getColumnTypeName(i);
                // getString of a bytea in binary is the byte[]'s identity (pgjdbc): only the typed value says
                result.append(i == 1 ? "" : " | ").append(type).append(' ')
                        .append(type.equals("bytea") ? "" : rs.getString(i)).append(" / ").append(typed(rs, i, type));
            }
            result.append(']');
        }
        return result.toString();
    }

    private static String typed(ResultSet rs, int column, String type) throws SQLException {
        Object value = switch (type) {
            case "int4" -> rs.getInt(column);
            case "int8" -> rs.getLong(column);
            case "numeric" -> rs.getBigDecimal(column);
            case "float8" -> rs.getDouble(column);
            case "bool" -> rs.getBoolean(column);
            case "date" -> rs.getDate(column);
            case "timestamp", "timestamptz" -> rs.getTimestamp(column);
            case "bytea" -> {
                byte[] bytes = rs.getBytes(column);
                yield bytes == null ? null : HexFormat.of().formatHex(bytes);
            }
            case "_int4", "_text" -> {
                Array array = rs.getArray(column);
                yield array == null ? null : Arrays.deepToString((Object[]) array.getArray());
            }
            default -> rs.getObject(column);
        };
        return rs.wasNull() ? "null" : String.valueOf(value);
    }
}
