package io.pgroute.proxy.cache;

import io.pgroute.localcluster.LocalCluster;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.postgresql.PGConnection;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static io.pgroute.proxy.cache.CacheIT.execute;
import static io.pgroute.proxy.cache.CacheIT.hits;
import static io.pgroute.proxy.cache.CacheIT.rows;
import static io.pgroute.proxy.cache.CacheIT.table;
import static io.pgroute.proxy.cache.CacheIT.untilCached;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * How a cached answer is replayed to each client: re-framed for the messages this client sent, in the formats it
 * asked for (COMPAT K1, K2); what is never answered from the cache (a cursor read in a transaction); a COMMIT that
 * PostgreSQL turned into a ROLLBACK invalidates nothing (T2); and a cancel of a client whose requests are answered
 * from the cache reaches nobody else's statement (X6).
 */
class CacheReplayIT {

    private static final Duration DEADLINE = Duration.ofSeconds(20);

    private static LocalCluster cluster;
    private static PgrouteServer proxy;
    private static String types;

    @BeforeAll
    static void start() throws Exception {
        cluster = ProxyFixture.get().cluster();
        proxy = CacheIT.startProxy(cluster);
        types = table("c_types");
        try (Connection c = CacheIT.connect(proxy)) {
            execute(c, "CREATE TABLE " + types + " (id int PRIMARY KEY, b bool, n numeric(12, 3), f float8, t text, "
                            + "ts timestamptz, d date, raw bytea, arr int[], j jsonb, u uuid, iv interval)",
                    "INSERT INTO " + types + " VALUES "
                            + "(1, true, 12345.678, 0.1, 'one ''quoted'' é', '2026-12-05 10:11:12.345678+00', "
                            + "'2026-12-05', '\\x00ff10', '{1,NULL,3}', '{\"k\": [1, 2]}', "
                            + "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '1 day 02:03:04'), "
                            + "(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL), "
                            + "(3, false, -0.001, 'NaN', '', '-infinity', 'infinity', '', '{}', 'null', "
                            + "'00000000-0000-0000-0000-000000000000', '-1 mons')");
        }
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.stop(Duration.ofSeconds(2));
        }
    }

    /**
     * COMPAT K1/K2: the same read through the simple protocol, pgjdbc's unnamed statements (Parse, Bind, Describe,
     * Execute each time), its named ones (Bind and Execute only once described) and with binary results on and
     * off: once cached, every execution is a hit and every value decodes exactly as PostgreSQL's own answer does in
     * the same mode.
     */
    @ParameterizedTest
    @ValueSource(strings = {"preferQueryMode=simple", "prepareThreshold=0", "prepareThreshold=1",
        "prepareThreshold=1&binaryTransfer=false", "prepareThreshold=-1"})
    void everyDriverModeDecodesAHitAsItDecodesPostgresqlsAnswer(String mode) throws Exception {
        String[] properties = properties(mode);
        String sql = "SELECT * FROM " + types + " WHERE id <= ? ORDER BY id";
        // pgjdbc asks for binary results only once it has a statement's description: what it decodes depends on how
        // often the connection ran the statement, so each execution is compared with the same one on PostgreSQL
        List<List<String>> direct = new ArrayList<>();
        try (Connection c = ProxyFixture.get().connectDirect(properties)) {
            for (int i = 0; i < 4; i++) {
                direct.add(read(c, sql));
            }
        }
        assertThat(direct.get(0)).hasSize(3);
        try (Connection c = ProxyFixture.connect(proxy, properties)) {
            // the first executions, hits or not, may ask for other formats than the later ones (another entry each)
            for (int i = 0; i < 3; i++) {
                assertThat(read(c, sql)).as("execution %d", i + 1).isEqualTo(direct.get(i));
            }
            AtomicInteger executions = new AtomicInteger(3);
            Awaitility.await("a cache hit in " + mode).atMost(DEADLINE).pollInterval(Duration.ofMillis(50))
                    .until(() -> {
                        long before = hits(proxy);
                        assertThat(read(c, sql)).as("execution %d", executions.incrementAndGet())
                                .isEqualTo(direct.get(3));
                        return hits(proxy) > before;
                    });
            List<String> misses = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                CacheStats before = stats();
                assertThat(read(c, sql)).as("execution %d", executions.incrementAndGet()).isEqualTo(direct.get(3));
                CacheStats after = stats();
                // a Redis call that outlived the 200 ms timeout (a busy machine) is a miss, and counted as an error
                if (after.hits() == before.hits() && after.errors() == before.errors()) {
                    misses.add("execution " + executions.get() + ": " + before + " -> " + after);
                }
            }
            assertThat(misses).as("executions not answered from the cache").isEmpty();
        }
    }

    private static CacheStats stats() {
        return proxy.resultCache().orElseThrow().redis().stats();
    }

    private static String[] properties(String mode) {
        List<String> result = new ArrayList<>();
        for (String each : mode.split("&")) {
            String[] pair = each.split("=", 2);
            result.add(pair[0]);
            result.add(pair[1]);
        }
        return result.toArray(String[]::new);
    }

    /** Every column of every row as its Java class, getObject and getString, as a driver's user sees them. */
    private static List<String> read(Connection c, String sql) throws SQLException {
        List<String> result = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement(sql)) {
            p.setInt(1, 3);
            try (ResultSet rs = p.executeQuery()) {
                int columns = rs.getMetaData().getColumnCount();
                while (rs.next()) {
                    StringBuilder row = new StringBuilder();
                    for (int i = 1; i <= columns; i++) {
                        Object value = rs.getObject(i);
                        row.append(i > 1 ? " | " : "").append(rs.getMetaData().getColumnTypeName(i)).append(' ')
                                .append(value == null ? "null" : value.getClass().getSimpleName()).append(' ')
                                .append(render(value));
                        if (!(value instanceof byte[])) {  // getString of a binary bytea is the array's identity
                            row.append(" / ").append(rs.getString(i));
                        }
                    }
                    result.add(row.toString());
                }
            }
        }
        return result;
    }

    private static String render(Object value) throws SQLException {
        if (value instanceof byte[] bytes) {
            return Arrays.toString(bytes);
        }
        if (value instanceof Array array) {
            return Arrays.deepToString((Object[]) array.getArray());
        }
        return String.valueOf(value);
    }

    /**
     * COMPAT K2: a read with a fetch size inside a transaction is a cursor (Execute with a row limit, PortalSuspended)
     * and is never answered from the cache, though the same read outside is cached; its rows are all there.
     */
    @Test
    void aCursorReadInsideATransactionIsNeverAHit() throws Exception {
        String table = table("c_cursor");
        String read = "SELECT id FROM " + table + " ORDER BY id";
        try (Connection c = CacheIT.connect(proxy)) {
            execute(c, "CREATE TABLE " + table + " (id int)",
                    "INSERT INTO " + table + " SELECT generate_series(1, 100)");
            assertThat(untilCached(proxy, c, read)).hasSize(100);
            long before = hits(proxy);
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.setFetchSize(10);
                try (ResultSet rs = s.executeQuery(read)) {
                    int expected = 0;
                    while (rs.next()) {
                        assertThat(rs.getInt(1)).isEqualTo(++expected);
                    }
                    assertThat(expected).isEqualTo(100);
                }
            }
            c.commit();
            assertThat(hits(proxy)).as("hits during the transaction").isEqualTo(before);
        }
    }

    /**
     * COMPAT T2: a COMMIT of a failed transaction is answered {@code ROLLBACK}; nothing it wrote is visible, so the
     * cached read of its table is still served. A COMMIT that commits is not followed by a hit of the old result.
     */
    @Test
    void aCommitAnsweredWithRollbackLeavesTheCacheValidAndARealCommitDoesNot() throws Exception {
        String table = table("c_failed");
        String read = "SELECT count(*) FROM " + table;
        try (Connection c = CacheIT.connect(proxy)) {
            execute(c, "CREATE TABLE " + table + " (id int PRIMARY KEY)", "INSERT INTO " + table + " VALUES (1)");
            assertThat(untilCached(proxy, c, read)).containsExactly("1");
            c.setAutoCommit(false);
            execute(c, "INSERT INTO " + table + " VALUES (2)");
            SQLException duplicate = catchThrowableOfType(
                    () -> execute(c, "INSERT INTO " + table + " VALUES (1)"), SQLException.class);
            assertThat(duplicate.getSQLState()).isEqualTo("23505");
            c.commit();  // PostgreSQL answers ROLLBACK (pgjdbc 42.7 does not raise it)
            c.setAutoCommit(true);
            try (Connection direct = ProxyFixture.get().connectDirect()) {
                assertThat(rows(direct, read)).as("on the primary").containsExactly("1");
            }
            long before = hits(proxy);
            assertThat(rows(c, read)).containsExactly("1");
            assertThat(hits(proxy)).as("still answered from the cache").isEqualTo(before + 1);

            c.setAutoCommit(false);
            execute(c, "INSERT INTO " + table + " VALUES (2)");
            c.commit();
            c.setAutoCommit(true);
            before = hits(proxy);
            assertThat(rows(c, read)).containsExactly("2");
            assertThat(hits(proxy)).as("the committed write invalidated the entry").isEqualTo(before);
        }
        // a failed transaction can still commit: back to a savepoint first, in the same request as the COMMIT
        for (String mode : new String[] {"simple", "extended"}) {
            try (Connection c = ProxyFixture.connect(proxy, "preferQueryMode", mode)) {
                int next = Integer.parseInt(untilCached(proxy, c, read).get(0)) + 1;
                execute(c, "BEGIN", "INSERT INTO " + table + " VALUES (" + next + ")", "SAVEPOINT s");
                SQLException duplicate = catchThrowableOfType(
                        () -> execute(c, "INSERT INTO " + table + " VALUES (1)"), SQLException.class);
                assertThat(duplicate.getSQLState()).isEqualTo("23505");
                execute(c, "ROLLBACK TO SAVEPOINT s; COMMIT");
                assertThat(rows(c, read)).as(mode).containsExactly(String.valueOf(next));
            }
        }
    }

    /**
     * COMPAT X6: cancels for a client whose requests are all answered from the cache cancel nothing: its reads all
     * succeed, and another client's statements, which run on the connections the first one used before, are never
     * cancelled.
     */
    @Test
    void cancelsOfAClientServedFromTheCacheReachNoOtherClient() throws Exception {
        String table = table("c_cancel");
        String read = "SELECT count(*) FROM " + table;
        try (Connection reader = CacheIT.connect(proxy); Connection other = CacheIT.connect(proxy)) {
            execute(reader, "CREATE TABLE " + table + " (id int)", "INSERT INTO " + table + " VALUES (1), (2)");
            assertThat(untilCached(proxy, reader, read)).containsExactly("2");
            AtomicInteger cancels = new AtomicInteger();
            AtomicReference<Throwable> cancelFailure = new AtomicReference<>();
            Thread canceller = new Thread(() -> {
                try {
                    for (int i = 0; i < 200; i++) {
                        reader.unwrap(PGConnection.class).cancelQuery();
                        cancels.incrementAndGet();
                        Thread.sleep(2);
                    }
                } catch (Throwable e) {
                    cancelFailure.set(e);
                }
            }, "canceller");
            long before = hits(proxy);
            int reads = 0;
            int others = 0;
            canceller.start();
            try {
                while (canceller.isAlive()) {
                    assertThat(rows(reader, read)).containsExactly("2");
                    reads++;
                    if (reads % 5 == 0) {  // statements that take a while, on whatever connection is free
                        assertThat(rows(other, "SELECT " + reads + " FROM pg_sleep(0.005)"))
                                .containsExactly(String.valueOf(reads));
                        others++;
                    }
                }
            } finally {
                canceller.join(DEADLINE.toMillis());
            }
            assertThat(cancelFailure.get()).isNull();
            assertThat(cancels).hasValue(200);
            assertThat(others).isPositive();
            assertThat(hits(proxy) - before).as("every read a hit").isEqualTo(reads);
        }
    }
}
