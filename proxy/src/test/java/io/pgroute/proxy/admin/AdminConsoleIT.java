package io.pgroute.proxy.admin;

import io.pgroute.config.ConfigLoader;
import io.pgroute.localcluster.LocalCluster;
import io.pgroute.localcluster.PgNode;
import io.pgroute.proxy.cache.CacheKey;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The admin console through a real proxy (result cache on, max_lag 200ms), read with pgjdbc and psql, checked
 * against what a known workload must have produced.
 */
class AdminConsoleIT {

    private static final Duration DEADLINE = Duration.ofSeconds(20);
    private static final Path PSQL = Path.of("/usr/bin/psql");

    private static LocalCluster cluster;
    private static PgrouteServer proxy;

    static String yaml(LocalCluster cluster) {
        String cache = "  enabled: true\n  redis: " + cluster.redis().orElseThrow().uri() + "\n  timeout: 500ms\n";
        return ProxyFixture.yaml(cluster, Map.of("cache", cache, "routing", "  max_lag: 200ms\n  catalog_refresh: 1s"));
    }

    static PgrouteServer startProxy() throws Exception {
        return new PgrouteServer(ConfigLoader.parse(yaml(cluster), "admin.yaml", System::getenv), 2).start();
    }

    @BeforeAll
    static void start() throws Exception {
        cluster = ProxyFixture.get().cluster();
        proxy = startProxy();
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.stop(Duration.ofSeconds(2));
        }
    }

    private static Connection admin(PgrouteServer server) throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + server.port() + "/pgroute", "admin",
                "admin");
    }

    private static Connection app() throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + proxy.port() + "/app", "app", "app");
    }

    /** Every row of {@code sql} on a fresh admin connection, as column → text. */
    private static List<Map<String, String>> rows(String sql) throws SQLException {
        try (Connection c = admin(proxy); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return read(rs);
        }
    }

    private static List<Map<String, String>> read(ResultSet rs) throws SQLException {
        List<Map<String, String>> result = new ArrayList<>();
        ResultSetMetaData meta = rs.getMetaData();
        while (rs.next()) {
            Map<String, String> row = new LinkedHashMap<>();
            for (int i = 1; i <= meta.getColumnCount(); i++) {
                row.put(meta.getColumnLabel(i), rs.getString(i));
            }
            result.add(row);
        }
        return result;
    }

    private static Map<String, String> node(String name) throws SQLException {
        return rows("SHOW NODES").stream().filter(each -> each.get("node").equals(name)).findFirst().orElseThrow();
    }

    private static long cacheCounter(String name) throws SQLException {
        return Long.parseLong(rows("show cache;").get(0).get(name));
    }

    @Test
    void showRoutesCountsAKnownWorkloadUnderTheRightTargetsAndReasons() throws Exception {
        try (Connection writer = app(); Statement w = writer.createStatement();
             Connection reader = app(); Statement r = reader.createStatement()) {
            w.execute("CREATE TABLE IF NOT EXISTS admin_routes (v int)");
            // the reads below are to go to the replicas: not while one still lags behind the DDL (under load a
            // full suite saw 5 of 10 on the primary, both replicas healthy afterwards)
            cluster.awaitReplication(Duration.ofSeconds(10));
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> proxy.routing("app").monitor().state()
                    .replicas().stream().allMatch(each -> each.eligible() && each.lagBytes() == 0));
            try (Connection c = admin(proxy); Statement s = c.createStatement()) {
                s.execute("RESET ROUTES");
            }
            for (int i = 0; i < 10; i++) {
                r.executeQuery("SELECT pg_is_in_recovery(), " + i + " AS n").close();
            }
            for (int i = 0; i < 3; i++) {
                w.executeUpdate("INSERT INTO admin_routes VALUES (" + i + ")");
            }
        }
        List<Map<String, String>> routes = rows("SHOW ROUTES");
        Map<String, String> reads = routes.stream().filter(each -> each.get("sample")
                .startsWith("SELECT pg_is_in_recovery()")).findFirst().orElseThrow();
        assertThat(reads.get("database")).isEqualTo("app");
        assertThat(reads.get("replica")).as("%s; nodes %s", reads, rows("SHOW NODES")).isEqualTo("10");
        assertThat(reads.get("calls")).isEqualTo("10");
        assertThat(reads.get("last_reason")).isEqualTo("read");
        assertThat(reads.get("fingerprint")).doesNotContain("7").contains("pg_is_in_recovery");
        assertThat(Double.parseDouble(reads.get("p99_ms"))).isPositive();
        Map<String, String> writes = routes.stream().filter(each -> each.get("sample")
                .startsWith("INSERT INTO admin_routes")).findFirst().orElseThrow();
        assertThat(writes.get("primary")).isEqualTo("3");
        assertThat(writes.get("replica")).isEqualTo("0");
        assertThat(writes.get("last_reason")).isEqualTo("write or primary-only");
        try (Connection c = admin(proxy); Statement s = c.createStatement()) {
            s.execute("RESET ROUTES");
        }
        assertThat(rows("SHOW ROUTES")).noneMatch(each -> each.get("sample").startsWith("INSERT INTO admin_routes"));
    }

    /** The one row EXPLAIN ROUTE answers for {@code sql}. */
    private static Map<String, String> explain(String sql) throws SQLException {
        List<Map<String, String>> result = rows("EXPLAIN ROUTE " + sql);
        assertThat(result).hasSize(1);
        return result.get(0);
    }

    /** Creates a fresh table through pgroute and waits until the cache's relation catalog knows it. */
    private static String cachedTable(String prefix) throws Exception {
        String table = prefix + Long.toHexString(System.nanoTime());
        try (Connection c = app(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE " + table + " (id int)");
        }
        Awaitility.await().atMost(DEADLINE).pollInterval(Duration.ofMillis(100))
                .until(() -> "t".equals(explain("SELECT * FROM " + table).get("cacheable")));
        return table;
    }

    @Test
    void explainRouteOfAReadShowsTheReplicaTheCacheAndTheKeyALookupUses() throws Exception {
        String table = cachedTable("admin_explain_");
        String select = "SELECT * FROM " + table;
        Awaitility.await().atMost(DEADLINE).pollInterval(Duration.ofMillis(100))
                .until(() -> explain(select).get("target").equals("cache or replica"));
        Map<String, String> read = explain(select + ";");
        assertThat(read).containsEntry("database", "app").containsEntry("kind", "READ")
                .containsEntry("read_only", "t").containsEntry("reason", "read").containsEntry("tables_read", table)
                .containsEntry("tables_written", "").containsEntry("cacheable", "t").containsEntry("invalidates", "");
        assertThat(Long.parseLong(read.get("cache_ttl_seconds"))).isPositive();
        assertThat(read.get("cache_key")).isEqualTo(CacheKey.builder("app", "admin").sql(select).build().hex());
        assertThat(rows("EXPLAIN ROUTE FOR app /* pgroute: primary */ " + select).get(0))
                .containsEntry("target", "primary").containsEntry("reason", "hint primary")
                .containsEntry("cacheable", "f").containsEntry("cache_key", null);
        try (Connection c = admin(proxy); PreparedStatement p = c.prepareStatement("EXPLAIN ROUTE " + select)) {
            for (int i = 0; i < 6; i++) {  // past pgjdbc's prepareThreshold: binary results of a named statement
                try (ResultSet rs = p.executeQuery()) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getBoolean("cacheable")).isTrue();
                    assertThat(rs.getLong("cache_ttl_seconds")).isPositive();
                    assertThat(rs.getMetaData().getColumnTypeName(rs.findColumn("read_only"))).isEqualTo("bool");
                }
            }
        }
    }

    @Test
    void explainRouteOfAWriteShowsThePrimaryAndWhatItInvalidatesWithoutRunningIt() throws Exception {
        String table = cachedTable("admin_explain_w_");
        Map<String, String> write = explain("INSERT INTO " + table + " VALUES (1), (2)");
        assertThat(write).containsEntry("kind", "WRITE").containsEntry("read_only", "f")
                .containsEntry("target", "primary").containsEntry("reason", "write")
                .containsEntry("cacheable", "f").containsEntry("cache_ttl_seconds", null)
                .containsEntry("cache_key", null);
        assertThat(write.get("tables_written").split(",")).contains(table);
        assertThat(write.get("invalidates").split(",")).contains(table);
        assertThat(explain("SELECT nextval('admin_no_such_sequence')")).containsEntry("target", "primary")
                .containsEntry("reason", "volatile function nextval").containsEntry("functions", "nextval");
        try (Connection c = app(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
            rs.next();
            assertThat(rs.getLong(1)).isZero();
        }
        try (Connection c = admin(proxy); Statement s = c.createStatement()) {
            assertThatThrownBy(() -> s.executeQuery("EXPLAIN ROUTE")).isInstanceOfSatisfying(SQLException.class,
                    e -> assertThat(e.getSQLState()).isEqualTo("42601"));
            assertThatThrownBy(() -> s.executeQuery("EXPLAIN ROUTE FOR nowhere SELECT 1"))
                    .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("3D000"));
        }
    }

    @Test
    void showCacheTablesShowsAWrittenTableSettledWithItsWatermark() throws Exception {
        String table = cachedTable("admin_tables_");
        try (Connection c = app(); Statement s = c.createStatement()) {
            s.executeUpdate("INSERT INTO " + table + " VALUES (1)");
            s.executeUpdate("UPDATE " + table + " SET id = 2");
        }
        Awaitility.await().atMost(DEADLINE).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            Map<String, String> row = rows("SHOW CACHE TABLES").stream()
                    .filter(each -> each.get("table").equals(table)).findFirst().orElseThrow();
            assertThat(row.get("database")).isEqualTo("app");
            assertThat(Long.parseLong(row.get("version"))).isGreaterThanOrEqualTo(1);
            assertThat(row.get("last_write_lsn")).isNotNull().matches("[0-9A-F]+/[0-9A-F]+");
            assertThat(row.get("in_flux")).isEqualTo("f");
        });
        List<Map<String, String>> all = rows("SHOW CACHE TABLES");
        List<String> names = all.stream().filter(each -> each.get("database").equals("app"))
                .map(each -> each.get("table")).toList();
        assertThat(names).isSorted();
        try (Connection c = admin(proxy); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("show cache tables")) {
            ResultSetMetaData meta = rs.getMetaData();
            assertThat(meta.getColumnTypeName(rs.findColumn("version"))).isEqualTo("int8");
            assertThat(meta.getColumnTypeName(rs.findColumn("in_flux"))).isEqualTo("bool");
            assertThat(meta.getColumnTypeName(rs.findColumn("last_write_lsn"))).isEqualTo("text");
        }
    }

    @Test
    void showStatsAndErrorsAnswerTypedColumnsAndTheUptimeGrows() throws Exception {
        try (Connection c = admin(proxy); Statement s = c.createStatement()) {
            double first;
            try (ResultSet rs = s.executeQuery("SHOW STATS")) {
                ResultSetMetaData meta = rs.getMetaData();
                List<String> names = new ArrayList<>();
                List<String> types = new ArrayList<>();
                for (int i = 1; i <= meta.getColumnCount(); i++) {
                    names.add(meta.getColumnLabel(i));
                    types.add(meta.getColumnTypeName(i));
                }
                assertThat(names).containsExactly("queries", "primary", "replica", "cache", "errors",
                        "uptime_seconds", "queries_per_second", "settings_replays", "parses_skipped");
                assertThat(types).containsExactly("int8", "int8", "int8", "int8", "int8", "float8", "float8",
                        "int8", "int8");
                assertThat(rs.next()).isTrue();
                assertThat(rs.getLong("queries")).isEqualTo(rs.getLong("primary") + rs.getLong("replica")
                        + rs.getLong("cache"));
                assertThat(rs.getDouble("queries_per_second")).isNotNegative();
                first = rs.getDouble("uptime_seconds");
                assertThat(first).isPositive();
                assertThat(rs.next()).isFalse();
            }
            Awaitility.await().atMost(DEADLINE).pollInterval(Duration.ofMillis(50)).until(() -> {
                try (ResultSet rs = s.executeQuery("SHOW STATS")) {
                    rs.next();
                    return rs.getDouble("uptime_seconds") > first;
                }
            });
            try (ResultSet rs = s.executeQuery("SHOW ERRORS")) {
                ResultSetMetaData meta = rs.getMetaData();
                assertThat(meta.getColumnLabel(1)).isEqualTo("sqlstate_class");
                assertThat(meta.getColumnTypeName(1)).isEqualTo("text");
                assertThat(meta.getColumnLabel(2)).isEqualTo("count");
                assertThat(meta.getColumnTypeName(2)).isEqualTo("int8");
                long previous = Long.MAX_VALUE;
                while (rs.next()) {
                    assertThat(rs.getString(1)).hasSize(2);
                    assertThat(rs.getLong(2)).isPositive().isLessThanOrEqualTo(previous);
                    previous = rs.getLong(2);
                }
            }
        }
    }

    @Test
    void pauseHoldsNewStatementsUntilResume() throws Exception {
        try (Connection c = admin(proxy); Statement s = c.createStatement(); Connection client = app()) {
            s.execute("PAUSE app");
            try {
                java.util.concurrent.CompletableFuture<Integer> held = java.util.concurrent.CompletableFuture
                        .supplyAsync(() -> {
                            try (Statement q = client.createStatement(); ResultSet rs = q.executeQuery("SELECT 7")) {
                                rs.next();
                                return rs.getInt(1);
                            } catch (SQLException e) {
                                throw new IllegalStateException(e);
                            }
                        });
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> held.get(600,
                        java.util.concurrent.TimeUnit.MILLISECONDS))
                        .isInstanceOf(java.util.concurrent.TimeoutException.class);
                s.execute("RESUME app");
                assertThat(held.get(5, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(7);
            } finally {
                s.execute("RESUME");
            }
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> s.execute("PAUSE nosuchdb"))
                    .isInstanceOf(SQLException.class)
                    .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo("3D000");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> s.execute("RELOAD"))
                    .as("not started from a file").isInstanceOf(SQLException.class)
                    .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo("55000");
        }
    }

    @Test
    void showClientsListsTheAppSessions() throws Exception {
        List<Connection> sessions = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                Connection c = app();
                sessions.add(c);
                try (Statement s = c.createStatement()) {
                    s.execute("SELECT 1");
                }
            }
            try (Connection c = admin(proxy); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SHOW CLIENTS")) {
                List<String> users = new ArrayList<>();
                while (rs.next()) {
                    users.add(rs.getString("user"));
                    assertThat(rs.getString("database")).isEqualTo("app");
                    assertThat(rs.getString("address")).startsWith("127.0.0.1:");
                    assertThat(rs.getString("state")).isIn("idle", "active", "in-transaction", "pinned");
                    assertThat(rs.getTimestamp("connected_since")).isNotNull();
                    assertThat(rs.getLong("id")).isPositive();
                }
                assertThat(users).filteredOn("app"::equals).hasSizeGreaterThanOrEqualTo(3);
            }
        } finally {
            for (Connection each : sessions) {
                each.close();
            }
        }
    }

    @Test
    void showNodesAndPoolsReflectReadsOnTheReplicas() throws Exception {
        Awaitility.await().atMost(DEADLINE).until(() -> rows("SHOW NODES").stream()
                .allMatch(each -> each.get("state").equals("up")));
        // nocache: through the cache these reads would be answered by Redis after the first fill (the class's other
        // tests read products too), so whether one reached a replica would depend on what ran before
        try (Connection c = app(); Statement s = c.createStatement()) {
            for (int i = 0; i < 20; i++) {
                try (ResultSet rs = s.executeQuery("/* pgroute: nocache */ SELECT count(*) FROM products")) {
                    rs.next();
                }
            }
        }
        List<Map<String, String>> pools = rows("SHOW POOLS");
        assertThat(pools).extracting(each -> each.get("node")).containsExactly("primary", "replica1", "replica2");
        long replicaConnections = pools.stream().filter(each -> each.get("node").startsWith("replica"))
                .mapToLong(each -> Long.parseLong(each.get("open"))).sum();
        assertThat(replicaConnections).as("routes %s nodes %s", rows("SHOW ROUTES").stream()
                .filter(each -> each.get("sample").contains("products")).toList(), rows("SHOW NODES")).isPositive();
        assertThat(pools).allMatch(each -> Integer.parseInt(each.get("max_size")) > 0);
        Map<String, String> primary = node("primary");
        assertThat(primary.get("role")).isEqualTo("primary");
        assertThat(primary.get("port")).isEqualTo(Integer.toString(cluster.primary().port()));
        assertThat(primary.get("replay_lsn")).matches("[0-9A-F]+/[0-9A-F]+");
        assertThat(node("replica1").get("role")).isEqualTo("replica");
        try (Connection direct = ProxyFixture.get().connectDirect(); Statement s = direct.createStatement();
             ResultSet version = s.executeQuery("SHOW server_version")) {
            version.next();
            assertThat(rows("SHOW NODES")).as("each node's server_version").extracting(each -> each.get("version"))
                    .containsOnly(version.getString(1));
        }
    }

    @Test
    void showNodesReportsAReplicaPastMaxLagAsExcluded() throws Exception {
        PgNode paused = cluster.replicas().get(0);
        replay(paused, "pg_wal_replay_pause()");
        try {
            try (Connection direct = ProxyFixture.get().connectDirect(); Statement s = direct.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS admin_lagging (id int)");
                s.execute("INSERT INTO admin_lagging VALUES (1)");
            }
            Awaitility.await().atMost(DEADLINE).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
                Map<String, String> replica = node("replica1");
                assertThat(replica.get("state")).isEqualTo("excluded-for-lag");
                assertThat(Long.parseLong(replica.get("lag_bytes"))).isPositive();
            });
            assertThat(node("replica2").get("state")).isEqualTo("up");
        } finally {
            replay(paused, "pg_wal_replay_resume()");
        }
        Awaitility.await().atMost(DEADLINE).until(() -> node("replica1").get("state").equals("up"));
    }

    @Test
    void showCacheCountsHitsAndInvalidateAllMakesTheNextReadMiss() throws Exception {
        String table = "admin_cached_" + Long.toHexString(System.nanoTime());
        String read = "SELECT count(*) FROM " + table;
        try (Connection c = app(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE " + table + " (id int)");
            s.execute("INSERT INTO " + table + " VALUES (1), (2)");
            long before = cacheCounter("hits");
            Awaitility.await().atMost(DEADLINE).pollInterval(Duration.ofMillis(50)).until(() -> {
                try (ResultSet rs = s.executeQuery(read)) {
                    rs.next();
                }
                return cacheCounter("hits") > before;
            });
            Map<String, String> stats = rows("SHOW CACHE").get(0);
            assertThat(stats.get("enabled")).isEqualTo("t");
            assertThat(Long.parseLong(stats.get("hits"))).isGreaterThanOrEqualTo(1);
            assertThat(stats.get("circuit")).isEqualTo("CLOSED");
            try (Connection a = admin(proxy); Statement as = a.createStatement()) {
                assertThat(as.execute("CACHE INVALIDATE ALL")).isFalse();
                assertThat(as.execute("cache invalidate public." + table.toUpperCase() + ";")).isFalse();
            }
            long hits = cacheCounter("hits");
            long misses = cacheCounter("misses");
            try (ResultSet rs = s.executeQuery(read)) {
                rs.next();
                assertThat(rs.getLong(1)).isEqualTo(2);
            }
            assertThat(cacheCounter("hits")).isEqualTo(hits);
            assertThat(cacheCounter("misses")).isGreaterThan(misses);
        }
    }

    @Test
    void killClientClosesThatSessionOnly() throws Exception {
        try (Connection victim = app(); Statement v = victim.createStatement()) {
            v.execute("SELECT 1");
            long id = newestAppSession();
            try (Connection bystander = app(); Statement b = bystander.createStatement()) {
                b.execute("SELECT 1");
                try (Connection a = admin(proxy); Statement as = a.createStatement()) {
                    assertThat(as.execute("KILL CLIENT " + id)).isFalse();
                }
                Awaitility.await().atMost(DEADLINE).until(() -> rows("SHOW CLIENTS").stream()
                        .noneMatch(each -> Long.parseLong(each.get("id")) == id));
                assertThatThrownBy(() -> v.executeQuery("SELECT 1")).isInstanceOfSatisfying(SQLException.class,
                        e -> assertThat(e.getSQLState()).isIn("57P01", "08006", "08003"));
                try (ResultSet rs = b.executeQuery("SELECT 1")) {
                    assertThat(rs.next()).isTrue();
                }
            }
        }
        try (Connection a = admin(proxy); Statement as = a.createStatement()) {
            assertThatThrownBy(() -> as.execute("KILL CLIENT 999999999")).isInstanceOfSatisfying(SQLException.class,
                    e -> assertThat(e.getSQLState()).isEqualTo("42704"));
        }
    }

    /** The id of the most recent app session (sessions get increasing ids). */
    private static long newestAppSession() throws SQLException {
        return rows("SHOW CLIENTS").stream().filter(each -> each.get("user").equals("app"))
                .mapToLong(each -> Long.parseLong(each.get("id"))).max().orElseThrow();
    }

    @Test
    void refusesUsersWithoutAdmin() {
        assertThatThrownBy(() -> DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + proxy.port()
                + "/pgroute", "app", "app")).isInstanceOfSatisfying(SQLException.class,
                e -> assertThat(e.getSQLState()).isEqualTo("42501"));
        assertThatThrownBy(() -> DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + proxy.port()
                + "/pgroute", "admin", "wrong")).isInstanceOfSatisfying(SQLException.class,
                e -> assertThat(e.getSQLState()).isEqualTo("28P01"));
    }

    @Test
    void answersUnknownCommandsWithASyntaxErrorAndAHint() throws Exception {
        try (Connection c = admin(proxy); Statement s = c.createStatement()) {
            assertThatThrownBy(() -> s.executeQuery("SHOW NONSENSE")).isInstanceOfSatisfying(PSQLException.class,
                    e -> {
                        assertThat(e.getSQLState()).isEqualTo("42601");
                        assertThat(e.getServerErrorMessage().getHint()).contains("SHOW HELP");
                    });
            try (ResultSet rs = s.executeQuery("SHOW VERSION")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString("version")).startsWith("pgroute ");
            }
        }
    }

    @Test
    void preparedStatementsUseTheExtendedProtocol() throws Exception {
        try (Connection c = admin(proxy); PreparedStatement p = c.prepareStatement("SHOW POOLS")) {
            for (int i = 0; i < 8; i++) {  // past pgjdbc's prepareThreshold: named server-side statements
                try (ResultSet rs = p.executeQuery()) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getString("database")).isEqualTo("app");
                    assertThat(rs.getInt("max_size")).isPositive();
                    assertThat(rs.getMetaData().getColumnTypeName(rs.findColumn("waits_total"))).isEqualTo("int8");
                }
            }
        }
    }

    @Test
    void showConfigMasksPasswords() throws Exception {
        List<Map<String, String>> config = rows("SHOW CONFIG");
        assertThat(config).isNotEmpty();
        assertThat(config).filteredOn(each -> each.get("key").endsWith("password")).isNotEmpty()
                .allMatch(each -> each.get("value") == null || "***".equals(each.get("value")));
        assertThat(config).noneMatch(each -> each.get("key").endsWith("password") && "app".equals(each.get("value")));
        assertThat(config).anyMatch(each -> each.get("section").equals("cache") && each.get("key").equals("enabled")
                && each.get("value").equals("true"));
    }

    @Test
    void psqlReadsTheConsole() throws Exception {
        assumeTrue(Files.isExecutable(PSQL), "psql is not installed");
        String nodes = psql("SHOW NODES");
        assertThat(nodes).contains("app|primary|primary|127.0.0.1|" + cluster.primary().port() + "|");
        assertThat(nodes.lines().filter(each -> each.startsWith("app|replica")).count()).isEqualTo(2);
        assertThat(psql("show help")).contains("SHOW NODES|");
    }

    /**
     * COMPAT S9: the console survives what drivers send at connect and around a query; pgjdbc (every test here) and
     * psql (above) read it, and so does psycopg 3, with the extended protocol ({@code prepare=True}) and a
     * transaction block of its own, as an application would.
     */
    @Test
    void psycopgReadsTheConsole() throws Exception {
        assumeTrue(new ProcessBuilder("/usr/bin/python3", "-c", "import psycopg").start().waitFor() == 0,
                "psycopg 3 is not installed (Debian: python3-psycopg)");
        String script = String.join("\n",
                "import sys, psycopg",
                "with psycopg.connect(host='127.0.0.1', port=int(sys.argv[1]), user='admin', password='admin',",
                "                     dbname='pgroute', sslmode='disable') as c:",
                "    rows = c.execute('SHOW NODES').fetchall()",
                "    again = c.execute('SHOW NODES', prepare=True).fetchall()",
                "    print(len(rows), len(again), sorted(r[1] for r in rows))");
        String output = output(new ProcessBuilder("/usr/bin/python3", "-c", script, Integer.toString(proxy.port())));
        assertThat(output.strip()).isEqualTo("3 3 ['primary', 'replica1', 'replica2']");
    }

    private String psql(String command) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(PSQL.toString(), "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                "-h", "127.0.0.1", "-p", Integer.toString(proxy.port()), "-U", "admin", "-d", "pgroute", "-c", command)
                .redirectErrorStream(true);
        builder.environment().put("PGPASSWORD", "admin");
        builder.environment().put("PGSSLMODE", "disable");
        return output(builder);
    }

    /** What the process {@code builder} starts prints, once it exited with 0 (within 30 s). */
    private static String output(ProcessBuilder builder) throws Exception {
        Process process = builder.redirectErrorStream(true).start();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(builder.command().get(0) + " did not finish");
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as(output).isZero();
        return output;
    }

    @Test
    void shutdownAnswersThenStopsTheServer() throws Exception {
        PgrouteServer doomed = startProxy();
        try {
            int port = doomed.port();
            try (Connection c = admin(doomed); Statement s = c.createStatement()) {
                assertThat(s.execute("SHUTDOWN")).isFalse();
            }
            Awaitility.await().atMost(DEADLINE).until(() -> {
                try (Connection ignored = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port
                        + "/pgroute?connectTimeout=2", "admin", "admin")) {
                    return false;
                } catch (SQLException e) {
                    return true;
                }
            });
        } finally {
            doomed.stop(Duration.ofSeconds(2));
        }
    }

    private static void replay(PgNode node, String call) throws SQLException {
        try (Connection c = DriverManager.getConnection(node.jdbcUrl("postgres"), cluster.superuser(),
                cluster.superuserPassword()); Statement s = c.createStatement()) {
            s.execute("SELECT " + call);
        }
    }
}
