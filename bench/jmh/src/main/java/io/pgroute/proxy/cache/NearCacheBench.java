package io.pgroute.proxy.cache;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * A local-cache hit ({@link NearCache#get}): the entry's lookup, the lease check and the validity check of its
 * tables, with 100 entries held and a lease renewed in place (the PING's answer is immediate here, so renewals cost
 * only their bookkeeping). In this package because the local cache's API is package-private.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class NearCacheBench {

    private static final int KEYS = 100;

    private NearCache near;
    private CacheKey[] keys;
    private long floor;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        near = new NearCache(32L << 20, System::nanoTime, ignored -> CompletableFuture.completedFuture(null));
        near.subscribed();
        keys = new CacheKey[KEYS];
        CachedResult result = new CachedResult(new byte[] {'C', 0, 0, 0, 13, 'S', 'E', 'L', 'E', 'C', 'T', ' ', '1',
            0}, 7, Map.of("pgbench_accounts", 1L));
        floor = System.nanoTime();
        for (int i = 0; i < KEYS; i++) {
            keys[i] = CacheKey.builder("app", "app").sql("SELECT abalance FROM pgbench_accounts WHERE aid = $1")
                    .parameters(new byte[][] {Integer.toString(i).getBytes()}, new short[] {0}).build();
            near.offer(keys[i], result, List.of("pgbench_accounts"), near.mark(), 3_600_000);
        }
        near.get(keys[0], floor).join();  // the first lease
    }

    @Benchmark
    public Optional<CachedResult> localHit() {
        CacheKey key = keys[next];
        next = next == KEYS - 1 ? 0 : next + 1;
        return near.get(key, floor).join();
    }
}
