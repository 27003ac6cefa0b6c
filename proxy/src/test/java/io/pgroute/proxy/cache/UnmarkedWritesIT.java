package io.pgroute.proxy.cache;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.pgroute.localcluster.LocalCluster;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.pgroute.proxy.cache.CacheIT.connect;
import static io.pgroute.proxy.cache.CacheIT.execute;
import static io.pgroute.proxy.cache.CacheIT.rows;
import static io.pgroute.proxy.cache.CacheIT.table;
import static io.pgroute.proxy.cache.CacheIT.untilCached;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Writes to tables no lookup has marked (docs/cache.md, "Tables never cached"): they commit without a Redis begin,
 * and a write that ran while a lookup on another instance marked its table and stored what it read before the
 * commit is begun after the commit, before its client hears of it, so the next read anywhere sees it.
 */
class UnmarkedWritesIT {

    private static final Duration DEADLINE = Duration.ofSeconds(20);

    private static LocalCluster cluster;
    private static PgrouteServer writer;
    private static PgrouteServer reader;
    private static RedisClient client;
    private static StatefulRedisConnection<String, String> redis;

    @BeforeAll
    static void start() throws Exception {
        cluster = ProxyFixture.get().cluster();
        writer = CacheIT.startProxy(cluster);
        reader = CacheIT.startProxy(cluster);
        client = RedisClient.create(cluster.redis().orElseThrow().uri());
        redis = client.connect();
    }

    @AfterAll
    static void stop() {
        if (redis != null) {
            redis.close();
        }
        if (client != null) {
            client.shutdown();
        }
        if (writer != null) {
            writer.stop(Duration.ofSeconds(2));
        }
        if (reader != null) {
            reader.stop(Duration.ofSeconds(2));
        }
    }

    private static RedisCommands<String, String> redis() {
        return redis.sync();
    }

    private static long version(String table) {
        String value = redis().get("pgroute:{app}:v:" + table);
        return value == null ? 0 : Long.parseLong(value);
    }

    private static boolean marked(String table) {
        return redis().sismember("pgroute:{app}:marked", table);
    }

    /**
     * Creates {@code table} through the writer and waits until an insert through it bumps nothing: its catalog knows
     * the table (one it does not know may be written by anything: the epoch is bumped) and it has read the marks
     * (until then it begins every table). Returns the table's version then.
     */
    private static long createKnown(Connection c, String table) throws Exception {
        execute(c, "CREATE TABLE " + table + " (id int PRIMARY KEY, v int)", "INSERT INTO " + table + " VALUES (1, 1)");
        int[] next = {100};
        long[] version = {0};
        Awaitility.await("the catalog knows " + table).atMost(DEADLINE).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    String before = redis().get("pgroute:{app}:epoch");
                    version[0] = version(table);
                    execute(c, "INSERT INTO " + table + " VALUES (" + next[0]++ + ", 0)");
                    return before != null && before.equals(redis().get("pgroute:{app}:epoch"))
                            && version(table) == version[0];
                });
        return version[0];
    }

    @Test
    void aWriteToATableNobodyLookedUpBeginsNothingUntilALookupMarksIt() throws Exception {
        String table = table("um_plain");
        try (Connection c = connect(writer)) {
            long base = createKnown(c, table);
            execute(c, "INSERT INTO " + table + " VALUES (2, 2)", "UPDATE " + table + " SET v = 3 WHERE id = 2");
            c.setAutoCommit(false);
            execute(c, "DELETE FROM " + table + " WHERE id = 2");
            c.commit();
            c.setAutoCommit(true);
            assertThat(version(table)).as("writes to a table never looked up bump nothing").isEqualTo(base);
            assertThat(marked(table)).isFalse();

            String sql = "SELECT v FROM " + table + " WHERE id = 1";
            assertThat(rows(c, sql)).containsExactly("1");
            assertThat(marked(table)).as("the first lookup marks the table").isTrue();
            assertThat(untilCached(writer, c, sql)).containsExactly("1");

            execute(c, "UPDATE " + table + " SET v = 4 WHERE id = 1");
            assertThat(version(table)).as("a write to a marked table is begun").isEqualTo(base + 1);
            assertThat(rows(c, sql)).containsExactly("4");
            try (Connection other = connect(reader)) {
                assertThat(rows(other, sql)).containsExactly("4");
            }
        }
    }

    /**
     * The race the marks exist for: a write to an unmarked table is sent without a begin and waits on a row lock;
     * meanwhile a lookup through another instance marks the table and stores the old row; then the write commits.
     * Its client must hear of the commit only after the table was bumped, so that the stored row is never served
     * again.
     */
    @Test
    void aWriteThatSkippedItsBeginIsBegunWhenALookupMarkedItsTableMeanwhile() throws Exception {
        String table = table("um_race");
        String sql = "SELECT v FROM " + table + " WHERE id = 1";
        try (Connection c = connect(writer); Connection r = connect(reader);
             Connection locker = DriverManager.getConnection(cluster.primary().jdbcUrl("app"), "app", "app")) {
            long base = createKnown(c, table);
            assertThat(marked(table)).isFalse();
            locker.setAutoCommit(false);
            execute(locker, "SELECT * FROM " + table + " WHERE id = 1 FOR UPDATE");

            CompletableFuture<Integer> write = CompletableFuture.supplyAsync(() -> {
                try (var statement = c.createStatement()) {
                    return statement.executeUpdate("UPDATE " + table + " SET v = 2 WHERE id = 1");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Awaitility.await("the write waits on the lock").atMost(DEADLINE).until(() -> waitingOnLock(table));
            assertThat(version(table)).as("sent without a begin").isEqualTo(base);

            assertThat(untilCached(reader, r, sql)).as("the other instance marked and stored the old row")
                    .containsExactly("1");
            assertThat(marked(table)).isTrue();

            locker.rollback();
            assertThat(write.get(20, TimeUnit.SECONDS)).isEqualTo(1);
            assertThat(rows(r, sql)).as("the next read on the other instance").containsExactly("2");
            assertThat(rows(c, sql)).as("the next read on the writer's").containsExactly("2");
            assertThat(version(table)).as("begun after its commit, before its client heard of it")
                    .isEqualTo(base + 1);
        }
    }

    private static boolean waitingOnLock(String table) throws Exception {
        try (Connection c = DriverManager.getConnection(cluster.primary().jdbcUrl("app"), "app", "app")) {
            return !rows(c, "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE "
                    + table + "%'").isEmpty();
        }
    }
}
