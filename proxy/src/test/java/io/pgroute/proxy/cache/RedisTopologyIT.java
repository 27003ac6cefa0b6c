package io.pgroute.proxy.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.SlotHash;
import io.pgroute.localcluster.LocalRedisCluster;
import io.pgroute.localcluster.LocalRedisSentinel;
import io.pgroute.localcluster.RedisNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link RedisCache} against a real Redis Cluster and a real Sentinel-watched primary from localcluster. */
class RedisTopologyIT {

    private static final Duration DEADLINE = Duration.ofSeconds(10);
    private static final Duration FAILOVER_DEADLINE = Duration.ofSeconds(20);
    private static final Duration TTL = Duration.ofMinutes(5);
    private static final RedisCache.Settings SETTINGS =
            new RedisCache.Settings(Duration.ofMillis(200), 5, Duration.ofMillis(200), Duration.ofMillis(200));

    private static LocalRedisCluster cluster;
    private static LocalRedisSentinel sentinel;

    @BeforeAll
    static void startRedis() throws Exception {
        cluster = LocalRedisCluster.start(3);
        sentinel = LocalRedisSentinel.start();
    }

    @AfterAll
    static void stopRedis() {
        if (cluster != null) {
            cluster.close();
        }
        if (sentinel != null) {
            sentinel.close();
        }
    }

    @Test
    void severalUrisWithoutClusterModeAreRefused() {
        assertThatThrownBy(() -> new RedisCache(cluster.uris(), false, SETTINGS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cluster mode is off");
        assertThatThrownBy(() -> new RedisCache(List.of(sentinel.uri()), true, SETTINGS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("redis-sentinel://");
        assertThatThrownBy(() -> new RedisCache(List.of(), true, SETTINGS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no Redis URI");
    }

    @Test
    void clusterServesHitsAndInvalidatesDatabasesOnEveryMaster() throws Exception {
        List<String> databases = databasePerMaster();
        RedisCache cache = new RedisCache(cluster.uris(), true, SETTINGS);
        try {
            for (int i = 0; i < databases.size(); i++) {
                String database = databases.get(i);
                await().atMost(DEADLINE).until(() -> done(cache.bumpEpoch(database)).isPresent());
                assertThat(epochOn(cluster.masters().get(i), database)).as("epoch key of %s on master %d", database, i)
                        .isNotNull();
                CacheKey key = key(database, "select * from products join prices using (id)");
                fill(cache, key, List.of("products", "prices"));
                assertThat(wait(cache.get(key))).as("hit in %s", database).isPresent();
                wait(cache.bump(database, List.of("customers"), 100));
                assertThat(wait(cache.get(key))).as("unrelated bump in %s", database).isPresent();
                wait(cache.bump(database, List.of("prices"), 200));
                assertThat(wait(cache.get(key))).as("bumped table in %s", database).isEmpty();
                fill(cache, key, List.of("products", "prices"));
                assertThat(wait(cache.get(key))).isPresent();
                wait(cache.bumpEpoch(database));
                assertThat(wait(cache.get(key))).as("after epoch bump in %s", database).isEmpty();
            }
            assertThat(cache.stats().hits()).isEqualTo(3L * databases.size());
            assertThat(cache.lostBump()).isFalse();
        } finally {
            wait(cache.closeAsync());
        }
    }

    @Test
    void restartOfAnyClusterMasterInvalidatesEveryDatabase() throws Exception {
        List<String> databases = databasePerMaster();
        RedisCache cache = new RedisCache(cluster.uris(), true, SETTINGS);
        try {
            List<CacheKey> keys = new ArrayList<>();
            List<Long> epochs = new ArrayList<>();
            for (String each : databases) {
                await().atMost(DEADLINE).until(() -> done(cache.bumpEpoch(each)).isPresent());
                CacheKey key = key(each, "select * from products");
                fill(cache, key, List.of("products"));
                assertThat(wait(cache.get(key))).isPresent();
                keys.add(key);
                epochs.add(wait(cache.versions(each, List.of())).epoch());
            }

            cluster.restart(cluster.masters().get(2));

            // master 0 kept its data: only the changed run id of master 2 can invalidate database 0
            await().atMost(DEADLINE).until(() -> !cache.lostBump()
                    && done(cache.versions(databases.get(0), List.of())).map(TableVersions::epoch).orElse(0L)
                            > epochs.get(0));
            for (int i = 0; i < databases.size(); i++) {
                String database = databases.get(i);
                int index = i;
                await().atMost(DEADLINE).until(() -> done(cache.versions(database, List.of()))
                        .map(TableVersions::epoch).orElse(0L) > epochs.get(index));
                assertThat(wait(cache.get(keys.get(i)))).as("entry of %s filed before the restart", database).isEmpty();
                await().atMost(DEADLINE).untilAsserted(() -> {
                    fill(cache, keys.get(index), List.of("products"));
                    assertThat(wait(cache.get(keys.get(index)))).as("new fill of %s", database).isPresent();
                });
            }
        } finally {
            wait(cache.closeAsync());
        }
    }

    @Test
    void sentinelFailoverBlocksHitsUntilAnEpochBumpSucceeded() throws Exception {
        String database = "db_" + UUID.randomUUID();
        RedisCache cache = new RedisCache(sentinel.uri(), SETTINGS);
        try {
            await().atMost(DEADLINE).until(() -> done(cache.bumpEpoch(database)).isPresent());
            CacheKey key = key(database, "select * from products");
            fill(cache, key, List.of("products"));
            assertThat(wait(cache.get(key))).isPresent();
            long epochBefore = wait(cache.versions(database, List.of())).epoch();
            long hitsBefore = cache.stats().hits();
            RedisNode primary = sentinel.primary();
            awaitReplicated(primary);

            RedisNode killed = sentinel.killPrimary();

            await().atMost(FAILOVER_DEADLINE).pollInterval(Duration.ofMillis(20)).until(() -> {
                assertThat(done(cache.get(key)).flatMap(each -> each)).as("entry filed before the failover")
                        .isEmpty();
                return !sentinel.primary().equals(killed) && !cache.lostBump()
                        && done(cache.versions(database, List.of())).map(TableVersions::epoch).orElse(0L)
                                > epochBefore;
            });
            assertThat(cache.stats().hits()).as("hits between kill and epoch bump").isEqualTo(hitsBefore);
            assertThat(wait(cache.get(key))).isEmpty();
            await().atMost(DEADLINE).untilAsserted(() -> {
                fill(cache, key, List.of("products"));
                assertThat(wait(cache.get(key))).as("new fill on the promoted replica").isPresent();
            });
        } finally {
            wait(cache.closeAsync());
        }
    }

    /** One database per master: the hash tag {db} of each lands in that master's slot range. */
    private static List<String> databasePerMaster() {
        int masters = cluster.masters().size();
        String[] result = new String[masters];
        int found = 0;
        while (found < masters) {
            String candidate = "db_" + UUID.randomUUID();
            int master = SlotHash.getSlot("pgroute:{" + candidate + "}:epoch") * masters / LocalRedisCluster.SLOTS;
            if (result[master] == null) {
                result[master] = candidate;
                found++;
            }
        }
        return List.of(result);
    }

    /** The epoch key read straight from {@code master}, bypassing the cluster client. */
    private static String epochOn(RedisNode master, String database) {
        RedisClient client = RedisClient.create(master.uri());
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            return connection.sync().get("pgroute:{" + database + "}:epoch");
        } finally {
            client.shutdown(0, 2, TimeUnit.SECONDS);
        }
    }

    /** Waits until the replica has everything written so far, so the promoted replica still holds our entry. */
    private static void awaitReplicated(RedisNode primary) {
        RedisClient client = RedisClient.create(primary.uri());
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            assertThat(connection.sync().waitForReplication(1, DEADLINE.toMillis())).isEqualTo(1L);
        } finally {
            client.shutdown(0, 2, TimeUnit.SECONDS);
        }
    }

    private static CacheKey key(String database, String sql) {
        return CacheKey.builder(database, "app").settings(Map.of("search_path", "public")).sql(sql).build();
    }

    private static void fill(RedisCache cache, CacheKey key, List<String> tables) throws Exception {
        TableVersions before = wait(cache.versions(key.database(), tables));
        assertThat(before.epochKnown()).isTrue();
        assertThat(wait(cache.put(key, CachedResult.of(CachedResultTest.frames(), before), TTL))).isTrue();
    }

    private static <T> T wait(CompletableFuture<T> future) throws Exception {
        return future.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
    }

    private static <T> Optional<T> done(CompletableFuture<T> future) {
        try {
            return Optional.of(future.get(DEADLINE.toSeconds(), TimeUnit.SECONDS));
        } catch (Exception e) {
            return Optional.empty();
        }
    }
}
