package io.pgroute.proxy.cache;

import io.pgroute.config.ConfigLoader;
import io.pgroute.localcluster.LocalCluster;
import io.pgroute.localcluster.PgNode;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The result cache through a real proxy: hits answered without PostgreSQL, every kind of write seen by the next
 * read on the writing connection and on another one, entries never shared across roles, search paths or
 * parameter values, and two pgroute instances sharing one Redis.
 */
class CacheIT {

    private static final Duration DEADLINE = Duration.ofSeconds(20);

    private static LocalCluster cluster;
    private static PgrouteServer proxy;
    private static PgrouteServer second;

    static String yaml(LocalCluster cluster) {
        String cache = "  enabled: true\n  redis: " + cluster.redis().orElseThrow().uri() + "\n"
                + "  timeout: 200ms\n  tables:\n    ttl: { c_ttl: 120s }\n";
        return ProxyFixture.yaml(cluster, Map.of("cache", cache, "routing", "  catalog_refresh: 2s"));
    }

    static PgrouteServer startProxy(LocalCluster cluster) throws Exception {
        return new PgrouteServer(ConfigLoader.parse(yaml(cluster), "cache.yaml", System::getenv), 2).start();
    }

    @BeforeAll
    static void start() throws Exception {
        cluster = ProxyFixture.get().cluster();
        proxy = startProxy(cluster);
        second = startProxy(cluster);
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.stop(Duration.ofSeconds(2));
        }
        if (second != null) {
            second.stop(Duration.ofSeconds(2));
        }
    }

    static Connection connect(PgrouteServer server) throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + server.port() + "/app", "app", "app");
    }

    static long hits(PgrouteServer server) {
        return server.resultCache().orElseThrow().redis().stats().hits();
    }

    static String table(String prefix) {
        return prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    }

    /** Runs {@code sql} on {@code c} and returns the rows, each as "col1|col2|…", in order. */
    static List<String> rows(Connection c, String sql) throws SQLException {
        List<String> result = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                StringBuilder row = new StringBuilder();
                for (int i = 1; i <= columns; i++) {
                    row.append(i > 1 ? "|" : "").append(rs.getString(i));
                }
                result.add(row.toString());
            }
        }
        return result;
    }

    static void execute(Connection c, String... sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            for (String each : sql) {
                s.execute(each);
            }
        }
    }

    /** Repeats {@code sql} until a run is answered from the cache (the catalog learns new tables in the background). */
    static List<String> untilCached(PgrouteServer server, Connection c, String sql) {
        List<List<String>> last = new ArrayList<>();
        try {
            Awaitility.await("a cache hit for " + sql).atMost(DEADLINE).pollInterval(Duration.ofMillis(50)).until(() -> {
                long before = hits(server);
                List<String> result = rows(c, sql);
                last.clear();
                last.add(result);
                return hits(server) > before;
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            // what the cache did meanwhile: misses without stores, errors, epoch bumps
            RedisCache redis = server.resultCache().orElseThrow().redis();
            throw new AssertionError(e.getMessage() + "; cache counters: " + redis.stats() + "; circuit breaker "
                    + redis.state() + ", redis run id known " + redis.knowsRunId() + ", a database without hits "
                    + redis.lostBump(), e);
        }
        return last.get(0);
    }

    /**
     * COMPAT T11: two-phase commit. PREPARE TRANSACTION ends the client's transaction without making its writes
     * visible; COMMIT PREPARED, from any session, makes them visible and names no table. A result cached between the
     * two (the old rows, right then) must not outlive the COMMIT PREPARED: the next read has the new rows.
     */
    @Test
    void aCommitPreparedLeavesNoStaleResult() throws Exception {
        String table = table("c_2pc");
        String gid = "pgroute-" + table;
        String sql = "SELECT count(*), coalesce(sum(n), 0) FROM " + table;
        try (Connection c = connect(proxy); Connection other = connect(proxy)) {
            execute(c, "CREATE TABLE " + table + " (n int)", "INSERT INTO " + table + " VALUES (1)");
            assertThat(untilCached(proxy, c, sql)).containsExactly("1|1");
            c.setAutoCommit(false);
            execute(c, "INSERT INTO " + table + " VALUES (41)", "PREPARE TRANSACTION '" + gid + "'");
            c.setAutoCommit(true);
            assertThat(untilCached(proxy, c, sql)).as("between PREPARE and COMMIT PREPARED").containsExactly("1|1");
            execute(other, "COMMIT PREPARED '" + gid + "'");
            assertThat(rows(other, sql)).as("after COMMIT PREPARED, its session").containsExactly("2|42");
            assertThat(rows(c, sql)).as("after COMMIT PREPARED, another session").containsExactly("2|42");
            try (Connection third = connect(second)) {
                Awaitility.await().atMost(DEADLINE).untilAsserted(() ->
                        assertThat(rows(third, sql)).as("through the other pgroute").containsExactly("2|42"));
            }
        }
    }

    /**
     * application_name is not part of a key: a client of another application (its own name in the startup message,
     * as libpq sends it, or SET) gets the entry another one stored, while a setting that changes answers (DateStyle)
     * (IntervalStyle) still keeps clients apart.
     */
    @Test
    void clientsOfDifferentApplicationsShareEntries() throws Exception {
        String table = table("c_apps");
        String sql = "SELECT i FROM " + table;
        try (Connection first = connectAs("app-one")) {
            execute(first, "CREATE TABLE " + table + " (i interval)", "INSERT INTO " + table + " VALUES ('1 day 2 hours')");
            assertThat(untilCached(proxy, first, sql)).containsExactly("1 day 02:00:00");
        }
        try (Connection second = connectAs("app-two"); Connection third = connect(proxy)) {
            execute(third, "SET application_name = 'app-three'");
            for (Connection each : new Connection[] {second, third}) {
                long before = hits(proxy);
                assertThat(rows(each, sql)).containsExactly("1 day 02:00:00");
                assertThat(hits(proxy)).as("a hit for another application").isEqualTo(before + 1);
            }
            execute(third, "SET IntervalStyle = 'sql_standard'");
            long before = hits(proxy);
            assertThat(rows(third, sql)).containsExactly("1 2:00:00");
            assertThat(hits(proxy)).as("another IntervalStyle").isEqualTo(before);
        }
    }

    private static Connection connectAs(String applicationName) throws SQLException {
        java.util.Properties props = new java.util.Properties();
        props.setProperty("user", "app");
        props.setProperty("password", "app");
        props.setProperty("ApplicationName", applicationName);
        props.setProperty("assumeMinServerVersion", "9.0");  // in the startup message, as libpq sends it
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + proxy.port() + "/app", props);
    }

    @Test
    void aHitIsServedWithoutPostgresAndLivesForTheConfiguredTtl() throws Exception {
        String table = "c_ttl";
        String sql = "SELECT count(*), sum(n), max(md5(n::text)) FROM c_ttl";
        try (Connection c = connect(proxy)) {
            execute(c, "DROP TABLE IF EXISTS c_ttl", "CREATE TABLE c_ttl (n int)",
                    "INSERT INTO c_ttl SELECT generate_series(1, 20000)");
            List<String> expected = untilCached(proxy, c, sql);
            assertThat(expected).containsExactly("20000|200010000|" + md5Max(c));
            cluster.awaitReplication(DEADLINE);
            Map<PgNode, Long> scansBefore = settledScans(table);
            long hitsBefore = hits(proxy);
            for (int i = 0; i < 50; i++) {
                assertThat(rows(c, sql)).isEqualTo(expected);
            }
            assertThat(hits(proxy) - hitsBefore).isEqualTo(50);
            assertThat(settledScans(table)).as("sequential scans per replica").isEqualTo(scansBefore);
        }
        RedisClient client = RedisClient.create(cluster.redis().orElseThrow().uri());
        try (StatefulRedisConnection<String, String> redis = client.connect()) {
            List<String> keys = redis.sync().keys("pgroute:{app}:r:*");
            assertThat(keys).isNotEmpty();
            boolean found = false;
            for (String each : keys) {
                String value = redis.sync().get(each);
                if (value != null && value.contains("c_ttl")) {
                    long ttl = redis.sync().pttl(each);
                    assertThat(ttl).as("entry TTL in ms").isBetween(100_000L, 120_000L);
                    found = true;
                }
            }
            assertThat(found).as("an entry filed under c_ttl").isTrue();
        } finally {
            client.shutdown();
        }
    }

    private static String md5Max(Connection c) throws SQLException {
        return rows(c, "SELECT /* pgroute: primary */ max(md5(n::text)) FROM c_ttl").get(0);
    }

    /** seq_scan of {@code table} on each replica, read twice a second apart until it stops moving. */
    private static Map<PgNode, Long> settledScans(String table) throws Exception {
        Map<PgNode, Long> previous = scans(table);
        for (int i = 0; i < 10; i++) {
            Thread.sleep(1100);
            Map<PgNode, Long> now = scans(table);
            if (now.equals(previous)) {
                return now;
            }
            previous = now;
        }
        return previous;
    }

    private static Map<PgNode, Long> scans(String table) throws SQLException {
        Map<PgNode, Long> result = new java.util.LinkedHashMap<>();
        for (PgNode each : cluster.replicas()) {
            try (Connection c = DriverManager.getConnection(each.jdbcUrl("app"), "app", "app");
                 Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT coalesce(seq_scan, 0) FROM pg_stat_user_tables "
                         + "WHERE relname = '" + table + "'")) {
                result.put(each, rs.next() ? rs.getLong(1) : 0L);
            }
        }
        return result;
    }

    @ParameterizedTest
    @ValueSource(strings = {"update", "insert", "delete", "truncate", "cte", "transaction", "cascade", "function",
        "view"})
    void theNextReadAfterAWriteSeesIt(String write) throws Exception {
        String table = table("c_" + write);
        String child = table + "_child";
        try (Connection writer = connect(proxy); Connection other = connect(proxy)) {
            execute(writer, "CREATE TABLE " + table + " (id int PRIMARY KEY, v int)",
                    "INSERT INTO " + table + " VALUES (1, 10), (2, 20)");
            String read = "SELECT id, v FROM " + table + " ORDER BY id";
            if (write.equals("cascade")) {
                execute(writer, "CREATE TABLE " + child + " (id int PRIMARY KEY, parent int REFERENCES " + table
                        + " ON DELETE CASCADE)", "INSERT INTO " + child + " VALUES (7, 1), (8, 2)");
                read = "SELECT id, parent FROM " + child + " ORDER BY id";
            }
            if (write.equals("function") || write.equals("view")) {
                execute(writer, "CREATE FUNCTION " + table + "_bump() RETURNS int LANGUAGE sql AS $$ UPDATE "
                        + table + " SET v = v + 1 RETURNING 0 $$");
            }
            if (write.equals("view")) {
                // a SELECT of it looks like a read: only the relation catalog tells that it runs a user function
                execute(writer, "CREATE VIEW " + table + "_bumping AS SELECT " + table + "_bump() AS bumped");
                try (io.pgroute.proxy.sql.Classifier classifier = new io.pgroute.proxy.sql.Classifier(
                        new io.pgroute.proxy.sql.BuiltinFunctions(), 10)) {
                    io.pgroute.proxy.sql.StatementInfo viewRead = classifier.classify("SELECT * FROM " + table
                            + "_bumping");
                    Awaitility.await("the relation catalog knows the view").atMost(DEADLINE)
                            .until(() -> proxy.resultCache().orElseThrow().invalidation("app", viewRead).everything());
                }
            }
            List<String> before = untilCached(proxy, writer, read);
            untilCached(proxy, other, read);
            String sql = switch (write) {
                case "update" -> "UPDATE " + table + " SET v = 11 WHERE id = 1";
                case "insert" -> "INSERT INTO " + table + " VALUES (3, 30)";
                case "delete" -> "DELETE FROM " + table + " WHERE id = 2";
                case "truncate" -> "TRUNCATE " + table;
                case "cte" -> "WITH moved AS (UPDATE " + table + " SET v = v * 2 RETURNING id) SELECT count(*) "
                        + "FROM moved";
                case "transaction" -> null;
                case "cascade" -> "DELETE FROM " + table + " WHERE id = 1";
                case "function" -> "SELECT " + table + "_bump()";
                // on the primary (a replica would refuse it, and the safety net re-runs it there)
                case "view" -> "/* pgroute: primary */ SELECT * FROM " + table + "_bumping";
                default -> throw new IllegalArgumentException(write);
            };
            if (sql == null) {
                writer.setAutoCommit(false);
                execute(writer, "UPDATE " + table + " SET v = 12 WHERE id = 1", "INSERT INTO " + table
                        + " VALUES (4, 40)");
                writer.commit();
                writer.setAutoCommit(true);
            } else {
                execute(writer, sql);
            }
            List<String> expected = rows(writer, "/* pgroute: primary */ " + read);
            assertThat(expected).isNotEqualTo(before);
            assertThat(rows(writer, read)).as("the writer's next read").isEqualTo(expected);
            assertThat(rows(other, read)).as("another connection's next read").isEqualTo(expected);
        }
    }

    @Test
    void aReadAfterAnotherConnectionsWriteSeesItAndCachesItWhileReplicasLag() throws Exception {
        String table = table("c_lag");
        String read = "SELECT v FROM " + table;
        try (Connection writer = connect(proxy); Connection reader = connect(second)) {
            execute(writer, "CREATE TABLE " + table + " (v int)", "INSERT INTO " + table + " VALUES (1)");
            assertThat(untilCached(second, reader, read)).containsExactly("1");
            cluster.replicas().forEach(each -> replay(each, "pg_wal_replay_pause()"));
            try {
                execute(writer, "UPDATE " + table + " SET v = 2");
                Thread.sleep(200);  // the write settles: its WAL position becomes the table's watermark
                assertThat(rows(reader, read)).as("read through the other instance").containsExactly("2");
                assertThat(untilCached(second, reader, read)).as("stored from the primary").containsExactly("2");
                assertThat(rows(reader, "SELECT v, pg_is_in_recovery()::text FROM " + table))
                        .as("later reads of this connection stay off the lagging replicas").containsExactly("2|false");
            } finally {
                cluster.replicas().forEach(each -> replay(each, "pg_wal_replay_resume()"));
            }
        }
    }

    private static void replay(PgNode node, String call) {
        try (Connection c = DriverManager.getConnection(node.jdbcUrl("postgres"), cluster.superuser(),
                cluster.superuserPassword()); Statement s = c.createStatement()) {
            s.execute("SELECT " + call);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aResultLargerThanMaxResultBytesStreamsWithoutBeingStored() throws Exception {
        String table = table("c_big");
        String read = "SELECT n, md5(n::text) || md5((n + 1)::text) FROM " + table + " ORDER BY n";
        try (Connection c = connect(proxy)) {
            execute(c, "CREATE TABLE " + table + " (n int)",
                    "INSERT INTO " + table + " SELECT generate_series(1, 40000)");
            String small = "SELECT count(*) FROM " + table;
            assertThat(untilCached(proxy, c, small)).containsExactly("40000");  // the table is cacheable
            CacheStats before = proxy.resultCache().orElseThrow().stats();
            for (int i = 0; i < 3; i++) {
                List<String> rows = rows(c, read);
                assertThat(rows).hasSize(40000);
                assertThat(rows.get(39999)).startsWith("40000|");
            }
            CacheStats after = proxy.resultCache().orElseThrow().stats();
            assertThat(after.hits()).as("hits").isEqualTo(before.hits());
            assertThat(after.tooLarge() - before.tooLarge()).as("fills abandoned past 1 MiB").isEqualTo(3);
            assertThat(after.stores()).as("stores").isEqualTo(before.stores());
        }
    }

    @Test
    void aRolledBackWriteLeavesTheCacheValid() throws Exception {
        String table = table("c_rollback");
        String read = "SELECT id, v FROM " + table + " ORDER BY id";
        try (Connection c = connect(proxy)) {
            execute(c, "CREATE TABLE " + table + " (id int PRIMARY KEY, v int)",
                    "INSERT INTO " + table + " VALUES (1, 10)");
            List<String> before = untilCached(proxy, c, read);
            c.setAutoCommit(false);
            execute(c, "UPDATE " + table + " SET v = 99");
            c.rollback();
            c.setAutoCommit(true);
            long hitsBefore = hits(proxy);
            assertThat(rows(c, read)).isEqualTo(before);
            assertThat(hits(proxy)).as("still answered from the cache").isEqualTo(hitsBefore + 1);
        }
    }

    @Test
    void rolesSearchPathsAndParametersNeverShareAnEntry() throws Exception {
        String table = table("c_rls");
        String schemaA = table + "_a";
        String schemaB = table + "_b";
        cluster.execute("app", "DO $$ BEGIN CREATE ROLE c_alice; EXCEPTION WHEN duplicate_object THEN NULL; END $$",
                "DO $$ BEGIN CREATE ROLE c_bob; EXCEPTION WHEN duplicate_object THEN NULL; END $$",
                "GRANT c_alice, c_bob TO app");
        try (Connection c = connect(proxy)) {
            execute(c, "CREATE TABLE " + table + " (owner text, secret text)",
                    "INSERT INTO " + table + " VALUES ('c_alice', 'alice''s'), ('c_bob', 'bob''s')",
                    "ALTER TABLE " + table + " ENABLE ROW LEVEL SECURITY",
                    "CREATE POLICY mine ON " + table + " USING (owner = current_user)",
                    "GRANT SELECT ON " + table + " TO c_alice, c_bob",
                    "GRANT USAGE ON SCHEMA public TO c_alice, c_bob",
                    "CREATE SCHEMA " + schemaA, "CREATE SCHEMA " + schemaB,
                    "CREATE TABLE " + schemaA + ".c_shadow (v text)", "CREATE TABLE " + schemaB + ".c_shadow (v text)",
                    "INSERT INTO " + schemaA + ".c_shadow VALUES ('in a')",
                    "INSERT INTO " + schemaB + ".c_shadow VALUES ('in b')");
        }
        String secret = "SELECT secret FROM " + table;
        try (Connection alice = connect(proxy); Connection bob = connect(proxy)) {
            execute(alice, "SET ROLE c_alice");
            execute(bob, "SET ROLE c_bob");
            assertThat(untilCached(proxy, alice, secret)).containsExactly("alice's");
            assertThat(untilCached(proxy, bob, secret)).containsExactly("bob's");
            assertThat(rows(alice, secret)).containsExactly("alice's");
        }
        try (Connection a = connect(proxy); Connection b = connect(proxy)) {
            execute(a, "SET search_path = " + schemaA);
            execute(b, "SET search_path = " + schemaB);
            assertThat(untilCached(proxy, a, "SELECT v FROM c_shadow")).containsExactly("in a");
            assertThat(untilCached(proxy, b, "SELECT v FROM c_shadow")).containsExactly("in b");
        }
        try (Connection c = connect(proxy); PreparedStatement p = c.prepareStatement(
                "SELECT secret FROM " + table + " WHERE owner = ?")) {
            execute(c, "SET ROLE c_alice");
            AtomicInteger seen = new AtomicInteger();
            for (String owner : new String[] {"c_alice", "c_bob", "c_alice", "c_bob", "c_alice"}) {
                p.setString(1, owner);
                try (ResultSet rs = p.executeQuery()) {
                    if (owner.equals("c_alice")) {
                        assertThat(rs.next()).isTrue();
                        assertThat(rs.getString(1)).isEqualTo("alice's");
                        seen.incrementAndGet();
                    }
                    assertThat(rs.next()).isFalse();
                }
            }
            assertThat(seen).hasValue(3);
        }
    }

    @Test
    void aValueRelayedInPiecesIsCachedAndReplayedByteForByte() throws Exception {
        String table = table("c_big");
        // 3 MB in one DataRow: more than the 1 MiB above which a message goes to the client in pieces
        String sql = "SELECT id, v, md5(v) FROM " + table;
        String yaml = yaml(cluster).replace("  timeout: 200ms\n", "  timeout: 2s\n  max_result_bytes: 8MiB\n");
        PgrouteServer large = new PgrouteServer(ConfigLoader.parse(yaml, "cache.yaml", System::getenv), 1).start();
        try (Connection c = connect(large)) {
            execute(c, "CREATE TABLE " + table + " (id int, v text)",
                    "INSERT INTO " + table + " SELECT 1, string_agg(md5(i::text), '') FROM generate_series(1, 98304) i");
            List<String> direct = rows(c, sql);
            assertThat(direct.get(0).length()).isGreaterThan(3_000_000);
            assertThat(untilCached(large, c, sql)).isEqualTo(direct);
            long before = hits(large);
            assertThat(rows(c, sql)).isEqualTo(direct);
            assertThat(hits(large)).isEqualTo(before + 1);
        } finally {
            large.stop(Duration.ofSeconds(2));
        }
    }

    @Test
    void aWriteWhoseParameterComesInPiecesIsSeenByTheNextRead() throws Exception {
        String table = table("c_upload");
        String read = "SELECT count(*) FROM " + table;
        byte[] upload = new byte[3 << 20];  // a Bind above 1 MiB: sent on before its Sync, statements unread
        java.util.Arrays.fill(upload, (byte) 7);
        try (Connection c = connect(proxy);
             PreparedStatement insert = c.prepareStatement("INSERT INTO " + table + " VALUES (?)")) {
            execute(c, "CREATE TABLE " + table + " (v bytea)");
            assertThat(untilCached(proxy, c, read)).containsExactly("0");
            insert.setBytes(1, upload);
            assertThat(insert.executeUpdate()).isEqualTo(1);
            assertThat(rows(c, read)).containsExactly("1");
            try (Connection other = connect(second)) {
                assertThat(rows(other, read)).containsExactly("1");
            }
            assertThat(rows(c, "/* pgroute: primary */ SELECT octet_length(v) FROM " + table))
                    .containsExactly(String.valueOf(upload.length));
        }
    }

    @Test
    void aWriteThroughOneInstanceIsSeenThroughTheOther() throws Exception {
        String table = table("c_two");
        String read = "SELECT v FROM " + table;
        try (Connection one = connect(proxy); Connection two = connect(second)) {
            execute(one, "CREATE TABLE " + table + " (v int)", "INSERT INTO " + table + " VALUES (1)");
            assertThat(untilCached(second, two, read)).containsExactly("1");
            execute(one, "UPDATE " + table + " SET v = 2");
            assertThat(rows(two, read)).containsExactly("2");
            execute(two, "UPDATE " + table + " SET v = 3");
            assertThat(rows(one, read)).containsExactly("3");
        }
    }

    @Test
    void extendedProtocolBatchesAreAnsweredFromTheCache() throws Exception {
        String table = table("c_ext");
        try (Connection c = connect(proxy)) {
            execute(c, "CREATE TABLE " + table + " (id int, name text)",
                    "INSERT INTO " + table + " VALUES (1, 'one'), (2, 'two')");
            // the catalog learns the new table in the background: until then no read of it is cached (the rounds
            // below took 0.1 s and once found none on a busy machine)
            assertThat(untilCached(proxy, c, "SELECT count(*) FROM " + table)).containsExactly("2");
        }
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + proxy.port()
                + "/app?prepareThreshold=1", "app", "app");
             PreparedStatement p = c.prepareStatement("SELECT name FROM " + table + " WHERE id = ?")) {
            long before = -1;
            for (int round = 0; round < 40; round++) {
                for (int id = 1; id <= 2; id++) {
                    p.setInt(1, id);
                    try (ResultSet rs = p.executeQuery()) {
                        assertThat(rs.next()).isTrue();
                        assertThat(rs.getString(1)).isEqualTo(id == 1 ? "one" : "two");
                        assertThat(rs.next()).isFalse();
                    }
                }
                if (round == 20) {
                    before = hits(proxy);
                }
            }
            assertThat(hits(proxy) - before).as("hits over the last 19 rounds of 2 executions").isEqualTo(38);
            try (Statement s = c.createStatement()) {
                s.execute("UPDATE " + table + " SET name = 'uno' WHERE id = 1");
            }
            p.setInt(1, 1);
            try (ResultSet rs = p.executeQuery()) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("uno");
            }
        }
    }
}
