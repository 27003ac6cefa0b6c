package io.pgroute.proxy.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.netty.channel.EventLoopGroup;
import io.pgroute.localcluster.LocalCluster;
import io.pgroute.proxy.server.Transport;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link RedisCache} against a real Redis from {@link LocalCluster}. */
@org.junit.jupiter.api.extension.ExtendWith(io.pgroute.localcluster.DockerModeCondition.class)
class RedisCacheIT {

    private static final Duration DEADLINE = Duration.ofSeconds(10);
    private static final Duration TTL = Duration.ofMinutes(5);

    private static LocalCluster cluster;
    private static String uri;
    private static RedisClient adminClient;
    private static StatefulRedisConnection<byte[], byte[]> adminConnection;
    private static RedisCommands<byte[], byte[]> admin;

    private RedisCache cache;
    private String database;

    @BeforeAll
    static void startRedis() throws Exception {
        cluster = LocalCluster.builder().replicas(0).redis(true).start();
        uri = cluster.redis().orElseThrow().uri();
        adminClient = RedisClient.create(uri);
        adminConnection = adminClient.connect(ByteArrayCodec.INSTANCE);
        admin = adminConnection.sync();
    }

    @AfterAll
    static void stopRedis() {
        if (adminConnection != null) {
            adminConnection.close();
            adminClient.shutdown();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @BeforeEach
    void openCache() {
        // a timeout well above a loaded machine's stalls: these tests are about what Redis holds, not about time
        cache = new RedisCache(uri, new RedisCache.Settings(Duration.ofSeconds(1), 5, Duration.ofMillis(200),
                Duration.ofMillis(200)));
        database = "db_" + UUID.randomUUID();
        await().atMost(DEADLINE).until(() -> done(cache.bumpEpoch(database)).isPresent());
    }

    @AfterEach
    void closeCache() throws Exception {
        cache.closeAsync().get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
    }

    @Test
    void storedResultIsServedUntilOneOfItsTablesIsBumped() throws Exception {
        CacheKey key = key("select * from products join prices using (id)");
        fill(key, List.of("products", "prices"), TTL);
        assertThat(wait(cache.get(key))).hasValueSatisfying(each -> {
            assertThat(each.frames()).isEqualTo(CachedResultTest.frames());
            assertThat(each.versions()).containsOnlyKeys("products", "prices");
        });
        wait(cache.bump(database, List.of("customers"), 100));
        assertThat(wait(cache.get(key))).isPresent();
        wait(cache.bump(database, List.of("prices"), 50));
        assertThat(wait(cache.get(key))).isEmpty();
        assertThat(cache.stats().hits()).isEqualTo(2);
        assertThat(cache.stats().bumps()).isGreaterThanOrEqualTo(3);
    }

    @Test
    void versionsCarryTheHighestLastWriteWatermarkOfTheirTables() throws Exception {
        assertThat(wait(cache.versions(database, List.of("orders", "lines"))).watermark()).isZero();
        wait(cache.bump(database, List.of("orders"), 5000));
        wait(cache.bump(database, List.of("lines"), 7000));
        wait(cache.bump(database, List.of("orders"), 3000));  // a late bump never lowers a watermark
        TableVersions read = wait(cache.versions(database, List.of("orders", "lines")));
        assertThat(read.watermark()).isEqualTo(7000);
        assertThat(read.versions()).containsExactly(java.util.Map.entry("orders", 2L), java.util.Map.entry("lines", 1L));
        assertThat(wait(cache.versions(database, List.of("orders"))).watermark()).isEqualTo(5000);
    }

    @Test
    void aLookupInADatabaseWithoutAnEpochCreatesOneSoThatFillsCanBeStored() throws Exception {
        String fresh = "db_" + UUID.randomUUID();  // never bumped: its epoch key does not exist
        CacheKey key = CacheKey.builder(fresh, "app").sql("select * from t").build();
        RedisCache.Lookup first = wait(cache.lookup(key, List.of("t")));
        assertThat(first.hit()).isEmpty();
        assertThat(first.versions()).hasValueSatisfying(each -> assertThat(each.epochKnown()).isFalse());
        await().atMost(DEADLINE).until(() -> wait(cache.lookup(key, List.of("t"))).versions()
                .map(TableVersions::epochKnown).orElse(false));
    }

    @Test
    void aLockIsTakenByOneCallerUntilItExpires() throws Exception {
        String name = "promotion-" + UUID.randomUUID();
        assertThat(wait(cache.tryLock(database, name, "a", Duration.ofMillis(300)))).as("free").isTrue();
        assertThat(wait(cache.tryLock(database, name, "b", Duration.ofMillis(300)))).as("held by a").isFalse();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                .until(() -> wait(cache.tryLock(database, name, "b", Duration.ofSeconds(30))));
        assertThat(wait(cache.tryLock(database, name, "a", Duration.ofSeconds(30)))).as("held by b").isFalse();
    }

    @Test
    void epochBumpInvalidatesEverything() throws Exception {
        CacheKey first = key("select 1 from a");
        CacheKey second = key("select 1 from b");
        fill(first, List.of("a"), TTL);
        fill(second, List.of("b"), TTL);
        wait(cache.bumpEpoch(database));
        assertThat(wait(cache.get(first))).isEmpty();
        assertThat(wait(cache.get(second))).isEmpty();
    }

    @Test
    void entryExpiresAfterItsTtl() throws Exception {
        CacheKey key = key("select * from short_lived");
        fill(key, List.of("short_lived"), Duration.ofSeconds(1));
        assertThat(wait(cache.get(key))).isPresent();
        await().atMost(DEADLINE).until(() -> wait(cache.get(key)).isEmpty());
    }

    @Test
    void unreachableRedisMissesAndReportsFailedBumps() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        RedisCache dead = new RedisCache("redis://127.0.0.1:" + closedPort);
        try {
            CacheKey key = key("select 1");
            assertThat(wait(dead.get(key))).isEmpty();
            CompletableFuture<Void> bump = dead.bump(database, List.of("products"), 1);
            assertThat(bump).failsWithin(DEADLINE);
            assertThat(dead.lostBump()).isTrue();
            assertThat(wait(dead.get(key))).isEmpty();
            CacheKey elsewhere = CacheKey.builder("other_" + database, "app").sql("select 1").build();
            for (int i = 0; i < 10; i++) {
                assertThat(wait(dead.get(elsewhere))).isEmpty();
            }
            assertThat(dead.state()).isEqualTo(CircuitBreaker.State.OPEN);
            assertThat(dead.stats().errors()).isGreaterThanOrEqualTo(5);
        } finally {
            wait(dead.closeAsync());
        }
    }

    @Test
    void theRunIdCheckIsNotHeldToTheDataCallsTimeoutSoASlowReplyStillTurnsTheCacheOn() throws Exception {
        // no data call can be answered within 1 ns; the run id check (INFO) may take until the next one is due.
        // Held to the data calls' timeout, as before, it failed at every connect that answered INFO later than
        // cache.timeout (a cold JVM at startup: the demo logged the failure) and the cache stayed off until the next
        // check; here it would never come on.
        RedisCache slow = new RedisCache(uri, new RedisCache.Settings(Duration.ofNanos(1), 1000,
                Duration.ofMillis(200), Duration.ofSeconds(1)));
        try {
            await().atMost(DEADLINE).until(slow::knowsRunId);
            long scripts = scriptCalls();
            assertThat(wait(slow.get(key("select 1")))).isEmpty();
            // sent to Redis, not refused for want of the run id. Redis itself counts it: the 1 ns timeout usually
            // fires first (an error), but the JDK's timer thread can run after Redis answered on a busy machine, so
            // the client-side outcome says nothing about whether the call went out.
            await().atMost(DEADLINE).untilAsserted(() -> assertThat(scriptCalls()).isGreaterThan(scripts));
        } finally {
            wait(slow.closeAsync());
        }
    }

    @Test
    void onPgroutesEventLoopsAnswersArriveThereAndASilentRedisTimesOutThere() throws Exception {
        EventLoopGroup loops = Transport.detect().newGroup(2, "shared-io");
        RedisCache.Settings settings = new RedisCache.Settings(Duration.ofMillis(20), 5, Duration.ofMillis(200),
                Duration.ofMillis(200));
        RedisCache shared = new RedisCache(List.of(uri), false, settings, loops, 2);
        try (ServerSocket silent = new ServerSocket(0)) {
            await().atMost(DEADLINE).until(() -> done(shared.bumpEpoch(database)).isPresent());
            // a continuation attached after the answer came runs on this thread instead: ask until one was not
            String here = Thread.currentThread().getName();
            List<String> answeredOn = new java.util.ArrayList<>();
            for (int i = 0; i < 50 && answeredOn.stream().allMatch(here::equals); i++) {
                answeredOn.add(wait(shared.versions(database, List.of("products"))
                        .thenApply(ignored -> Thread.currentThread().getName())));
            }
            assertThat(answeredOn).filteredOn(each -> !each.equals(here)).as(
                    "Lettuce's connection runs on the lent loops").isNotEmpty().allMatch(
                    each -> each.startsWith("shared-io"));

            // a server that accepts and never answers: the call must end by the 20 ms timeout, on the loop, well
            // before Lettuce's own 10 s connect timeout
            Thread acceptor = new Thread(() -> {
                List<java.net.Socket> held = new java.util.ArrayList<>();
                try {
                    while (true) {
                        held.add(silent.accept());
                    }
                } catch (java.io.IOException closed) {
                    held.forEach(each -> {
                        try {
                            each.close();
                        } catch (java.io.IOException ignored) {
                            // closing anyway
                        }
                    });
                }
            }, "silent-redis");
            acceptor.setDaemon(true);
            acceptor.start();
            RedisCache hung = new RedisCache(List.of("redis://127.0.0.1:" + silent.getLocalPort()), false, settings,
                    loops, 2);
            try {
                long started = System.nanoTime();
                CompletableFuture<String> missedOn = new CompletableFuture<>();
                loops.next().execute(() -> hung.get(key("select 1")).whenComplete((found, failure) ->
                        missedOn.complete((found != null && found.isEmpty() ? "miss on " : "not a miss on ")
                                + Thread.currentThread().getName())));
                assertThat(wait(missedOn)).as("a miss, ended by the loop's timer, not the JDK's timer thread")
                        .startsWith("miss on shared-io");
                assertThat(Duration.ofNanos(System.nanoTime() - started)).as("ended by the call's timeout")
                        .isLessThan(Duration.ofSeconds(5));
                assertThat(hung.stats().errors()).isPositive();
            } finally {
                silent.close();  // drops the held connection: Lettuce's pending handshake fails, and closing proceeds
                wait(hung.closeAsync());
            }
        } finally {
            wait(shared.closeAsync());
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void lostBumpBlocksHitsUntilTheEpochWasBumped() throws Exception {
        CacheKey key = key("select * from products");
        fill(key, List.of("products"), TTL);
        long epochBefore = wait(cache.versions(database, List.of())).epoch();
        // paused three times the 1 s timeout: with a pause as long as the timeout, a late timer on a busy machine let
        // the bump through once the pause ended (a CI failure in session 30)
        admin.clientPause(3000);
        CompletableFuture<Void> bump = cache.bump(database, List.of("unrelated"), 1);
        assertThat(bump).failsWithin(DEADLINE);
        assertThat(cache.lostBump()).isTrue();
        assertThat(wait(cache.get(key))).isEmpty();
        await().atMost(DEADLINE).until(() -> !cache.lostBump());
        assertThat(wait(cache.versions(database, List.of())).epoch()).isGreaterThan(epochBefore);
        assertThat(wait(cache.get(key))).isEmpty();
        fill(key, List.of("products"), TTL);
        assertThat(wait(cache.get(key))).isPresent();
    }

    @Test
    void entrySurvivingLostVersionsIsNotServed() throws Exception {
        CacheKey key = key("select * from products");
        fill(key, List.of("products"), TTL);
        byte[] entryKey = ("pgroute:{" + database + "}:r:" + key.hex()).getBytes(StandardCharsets.UTF_8);
        byte[] entry = admin.get(entryKey);
        admin.flushall();
        admin.set(entryKey, entry);
        assertThat(wait(cache.get(key))).isEmpty();
        assertThat(cache.lostBump()).isTrue();
        await().atMost(DEADLINE).until(() -> !cache.lostBump());
        assertThat(wait(cache.get(key))).isEmpty();
    }

    @Test
    void theLocalCacheServesARepeatedHitUntilAnotherInstanceBeginsAWriteOfItsTable() throws Exception {
        RedisCache.Settings settings = new RedisCache.Settings(Duration.ofMillis(200), 5, Duration.ofMillis(200),
                Duration.ofMillis(200), 1 << 20);
        RedisCache local = new RedisCache(uri, settings);
        RedisCache other = new RedisCache(uri, settings);
        try {
            NearCache near = local.near().orElseThrow();
            await().atMost(DEADLINE).until(() -> near.listening() && other.near().orElseThrow().listening());
            CacheKey key = key("select * from near_products");
            fill(key, List.of("near_products"), TTL);
            long floor = System.nanoTime();
            RedisCache.Lookup first = wait(local.lookup(key, List.of("near_products"), floor));
            assertThat(first.hit()).isPresent();
            assertThat(first.local()).isFalse();
            RedisCache.Lookup second = wait(local.lookup(key, List.of("near_products"), floor));
            assertThat(second.hit()).isPresent();
            assertThat(second.local()).as("answered from memory").isTrue();
            assertThat(local.stats().localHits()).isEqualTo(1);

            NearCache.leaseOverrideNanos = TimeUnit.MINUTES.toNanos(10);
            RedisCache.WriteBegun waits = wait(other.begin(database, List.of("near_products"), false));
            assertThat(waits.acknowledged()).isTrue();
            assertThat(waits.visible()).as("another instance subscribes: the lease is waited out").isNotDone();
            NearCache.leaseOverrideNanos = 0;
            RedisCache.WriteBegun begun = wait(other.begin(database, List.of("near_products"), false));
            wait(begun.visible());
            RedisCache.Lookup after = wait(local.lookup(key, List.of("near_products"), floor));
            assertThat(after.local()).isFalse();
            assertThat(after.hit()).isEmpty();
        } finally {
            NearCache.leaseOverrideNanos = 0;
            local.closeAsync().get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
            other.closeAsync().get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        }
    }

    @Test
    void aWriterAloneWithItsSubscriptionDoesNotWaitOutTheLease() throws Exception {
        RedisCache local = new RedisCache(uri, new RedisCache.Settings(Duration.ofMillis(200), 5,
                Duration.ofMillis(200), Duration.ofMillis(200), 1 << 20));
        NearCache.leaseOverrideNanos = TimeUnit.MINUTES.toNanos(10);  // waiting it out would time the test out
        try {
            await().atMost(DEADLINE).until(() -> local.near().orElseThrow().listening());
            String alone = "db_" + UUID.randomUUID();
            RedisCache.WriteBegun begun = wait(local.begin(alone, List.of("t"), false));
            assertThat(begun.acknowledged()).isTrue();
            wait(begun.visible());  // its own message came back: nobody else listens
        } finally {
            NearCache.leaseOverrideNanos = 0;
            local.closeAsync().get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        }
    }

    @Test
    void writesSettledTogetherEndEachFluxByTheirCountAndRaiseWatermarksToTheNewestCommit() throws Exception {
        wait(cache.beginWrite(database, List.of("orders", "lines"), false));
        wait(cache.beginWrite(database, List.of("orders"), false));
        wait(cache.beginWrite(database, List.of("orders"), false));
        assertThat(wait(cache.versions(database, List.of("orders"))).inFlux()).isTrue();
        wait(cache.settleWrites(database, List.of(new RedisCache.Settled(List.of("orders", "lines"), false, 700),
                new RedisCache.Settled(List.of("orders"), false, 900))));
        assertThat(wait(cache.versions(database, List.of("lines")))).satisfies(lines -> {
            assertThat(lines.inFlux()).as("its one write settled").isFalse();
            assertThat(lines.watermark()).isEqualTo(700);
        });
        assertThat(wait(cache.versions(database, List.of("orders")))).satisfies(orders -> {
            assertThat(orders.inFlux()).as("one of its three writes still running").isTrue();
            assertThat(orders.watermark()).isEqualTo(900);
        });
        wait(cache.settleWrite(database, List.of("orders"), false, 0));
        assertThat(wait(cache.versions(database, List.of("orders")))).satisfies(orders -> {
            assertThat(orders.inFlux()).isFalse();
            assertThat(orders.watermark()).as("a rolled-back write lowers nothing").isEqualTo(900);
        });
    }

    @Test
    void aSettlerSettlesTheWritesOfOneSampleTogetherOnceThePrimaryWasSampledPastThem() throws Exception {
        io.netty.channel.DefaultEventLoop loop = new io.netty.channel.DefaultEventLoop();
        try {
            WriteSettler settler = new WriteSettler(cache, database, loop);
            java.util.concurrent.atomic.AtomicLong sampledAt = new java.util.concurrent.atomic.AtomicLong(-1);
            java.util.function.LongFunction<java.util.OptionalLong> watermarkAfter = nanos -> sampledAt.get() >= 0
                    ? java.util.OptionalLong.of(sampledAt.get()) : java.util.OptionalLong.empty();
            wait(cache.beginWrite(database, List.of("a"), false));
            wait(cache.beginWrite(database, List.of("a", "b"), false));
            // a commit time ahead of now: the settler's deadline (2 s after it) cannot pass on a slow machine
            long now = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
            loop.submit(() -> {
                settler.settle(List.of("a"), false, false, now, watermarkAfter);
                settler.settle(List.of("a", "b"), false, false, now, watermarkAfter);
            }).get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
            Thread.sleep(50);  // several polls: no sample past the commits yet
            assertThat(wait(cache.versions(database, List.of("a"))).inFlux()).isTrue();
            assertThat(loop.submit(settler::waiting).get()).isEqualTo(2);
            sampledAt.set(4242);
            await().atMost(DEADLINE).until(() -> !wait(cache.versions(database, List.of("a", "b"))).inFlux());
            assertThat(wait(cache.versions(database, List.of("b"))).watermark()).isEqualTo(4242);
            assertThat(loop.submit(settler::waiting).get()).isZero();
        } finally {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    private CacheKey key(String sql) {
        return CacheKey.builder(database, "app").settings(Map.of("search_path", "public")).sql(sql).build();
    }

    private void fill(CacheKey key, List<String> tables, Duration ttl) throws Exception {
        TableVersions before = wait(cache.versions(database, tables));
        assertThat(before.epochKnown()).isTrue();
        assertThat(wait(cache.put(key, CachedResult.of(CachedResultTest.frames(), before), ttl))).isTrue();
    }

    /**
     * How many Lua script calls (EVALSHA and EVAL) reached the Redis server, from its own command statistics:
     * {@code cmdstat_evalsha:calls=N,usec=…,rejected_calls=R,failed_calls=F}, where N counts the calls that ran
     * (failed ones too) and R those refused before running.
     */
    private static long scriptCalls() {
        java.util.regex.Pattern counted =
                java.util.regex.Pattern.compile("(?:^|[:,])(?:calls|rejected_calls)=(\\d+)");
        return admin.info("commandstats").lines()
                .filter(each -> each.startsWith("cmdstat_evalsha:") || each.startsWith("cmdstat_eval:"))
                .flatMap(each -> counted.matcher(each).results())
                .mapToLong(match -> Long.parseLong(match.group(1)))
                .sum();
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
