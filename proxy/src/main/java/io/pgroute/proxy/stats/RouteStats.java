package io.pgroute.proxy.stats;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.netty.util.concurrent.FastThreadLocal;
import io.pgroute.proxy.metrics.QueryRecorder;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where statements went, per database and statement fingerprint (constants and parameters normalised), for
 * {@code SHOW ROUTES}: counts by target, the last reason, calls, total, mean and p99 time. Bounded: at most
 * {@code capacity} fingerprints per database are kept, the frequent ones winning (Caffeine's frequency-aware
 * eviction).
 * Thread-safe; recording is a few plain increments on the recording thread's own shard (see {@link #shard}); the
 * bound applies per shard.
 */
public final class RouteStats implements QueryRecorder {

    /** Histogram bucket upper bounds in microseconds: 10 µs × 1.5^i. */
    private static final int BUCKETS = 40;
    private static final double[] BOUNDS_MICROS = new double[BUCKETS];
    /** The same bounds in whole nanoseconds: a time of {@code n} ns falls in the first bucket whose bound is ≥ n. */
    private static final long[] BOUNDS_NANOS = new long[BUCKETS];

    static {
        double bound = 10;
        for (int i = 0; i < BUCKETS; i++) {
            BOUNDS_MICROS[i] = bound;
            BOUNDS_NANOS[i] = (long) Math.floor(bound * 1000);
            bound *= 1.5;
        }
    }

    /** One row of {@code SHOW ROUTES}. */
    public record Row(String database, String fingerprint, String sample, long primary, long replica, long cache,
                      String lastReason, long calls, double totalMillis, double meanMillis, double p99Millis) {
    }

    /**
     * One shard per recording thread (each event loop), so that two loops running the same statement shape never
     * write the same cache line: a shared entry's counters moved between the cores on every statement.
     */
    private final FastThreadLocal<Shard> shard = new FastThreadLocal<>() {  // see ThreadCounter#mine
        @Override
        protected Shard initialValue() {
            return newShard();
        }
    };
    private final List<Shard> shards = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final int capacity;

    /** A thread's entries: by database, then fingerprint (no key string is built per statement). */
    private static final class Shard {
        private final java.util.concurrent.ConcurrentMap<String, Cache<String, Entry>> entries =
                new java.util.concurrent.ConcurrentHashMap<>();
    }

    /** Counts of one fingerprint on one shard: written by its thread alone, read by any (opaque accesses). */
    private static final class Entry {
        private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
        private static final int PRIMARY = 0;
        private static final int REPLICA = 1;
        private static final int CACHE = 2;
        private static final int TOTAL_NANOS = 3;
        private static final int HISTOGRAM = 4;

        private final String database;
        private final String fingerprint;
        private final String sample;
        /** Primary, replica and cache calls, total nanoseconds, then the histogram's {@code BUCKETS + 1} counts. */
        private final long[] counts = new long[HISTOGRAM + BUCKETS + 1];
        private volatile String lastReason = "";
        /** When {@link #lastReason} last changed ({@link System#nanoTime()}): the shards' latest one wins. */
        private volatile long reasonSince;

        private Entry(String database, String fingerprint, String sample) {
            this.database = database;
            this.fingerprint = fingerprint;
            this.sample = sample;
        }

        /** Adds {@code delta} to counter {@code index}: only the shard's thread writes, so no atomic is needed. */
        private void add(int index, long delta) {
            LONGS.setOpaque(counts, index, (long) LONGS.getOpaque(counts, index) + delta);
        }

        private long get(int index) {
            return (long) LONGS.getOpaque(counts, index);
        }
    }

    public RouteStats(int capacity) {
        this.capacity = capacity;
    }

    private Shard newShard() {
        Shard result = new Shard();
        shards.add(result);
        return result;
    }

    @Override
    public void query(String database, Route route, long nanos) {
        // per-statement figures come through statement()
    }

    @Override
    public void error(String sqlState) {
        // counted by the metrics
    }

    @Override
    public void statement(String database, String fingerprint, String sql, Route route, String reason,
                          long nanos) {
        Shard mine = shard.get();
        Cache<String, Entry> ofDatabase = mine.entries.get(database);
        if (ofDatabase == null) {
            // maintenance on the calling thread: no hand-off to (and wake-up of) a ForkJoin worker
            ofDatabase = mine.entries.computeIfAbsent(database, each -> Caffeine.newBuilder()
                    .maximumSize(capacity).executor(Runnable::run).build());
        }
        Entry entry = ofDatabase.getIfPresent(fingerprint);
        if (entry == null) {
            entry = ofDatabase.get(fingerprint, key -> new Entry(database, fingerprint,
                    sql.length() > 200 ? sql.substring(0, 200) : sql));
        }
        entry.add(switch (route) {
            case PRIMARY -> Entry.PRIMARY;
            case REPLICA -> Entry.REPLICA;
            case CACHE -> Entry.CACHE;
        }, 1);
        entry.add(Entry.TOTAL_NANOS, nanos);
        entry.add(Entry.HISTOGRAM + bucket(nanos), 1);
        if (entry.lastReason != reason) {
            // reasons are constants: rewriting the same one would be a volatile write per statement
            entry.reasonSince = System.nanoTime();
            entry.lastReason = reason;
        }
    }

    /** The histogram bucket of a time of {@code nanos}: {@link #BUCKETS} for one above every bound. */
    static int bucket(long nanos) {
        int found = java.util.Arrays.binarySearch(BOUNDS_NANOS, nanos);  // a scan was 1 % of pgroute's user time
        return found >= 0 ? found : -found - 1;
    }

    /** The {@code limit} fingerprints with the most calls, most first (their counts summed over the shards). */
    public List<Row> top(int limit) {
        Map<List<String>, List<Entry>> byKey = new LinkedHashMap<>();
        for (Shard each : shards) {
            for (Cache<String, Entry> ofDatabase : each.entries.values()) {
                for (Entry entry : ofDatabase.asMap().values()) {
                    byKey.computeIfAbsent(List.of(entry.database, entry.fingerprint), key -> new ArrayList<>())
                            .add(entry);
                }
            }
        }
        List<Row> rows = new ArrayList<>();
        for (List<Entry> same : byKey.values()) {
            rows.add(row(same));
        }
        rows.sort(Comparator.comparingLong(Row::calls).reversed());
        return rows.size() > limit ? List.copyOf(rows.subList(0, limit)) : rows;
    }

    /** One row from the shards' entries of one fingerprint. */
    private static Row row(List<Entry> same) {
        long[] sums = new long[Entry.HISTOGRAM + BUCKETS + 1];
        Entry latest = same.get(0);
        for (Entry each : same) {
            for (int i = 0; i < sums.length; i++) {
                sums[i] += each.get(i);
            }
            if (each.reasonSince - latest.reasonSince > 0) {
                latest = each;
            }
        }
        long primary = sums[Entry.PRIMARY];
        long replica = sums[Entry.REPLICA];
        long cache = sums[Entry.CACHE];
        long calls = primary + replica + cache;
        double total = sums[Entry.TOTAL_NANOS] / 1e6;
        Entry first = same.get(0);
        return new Row(first.database, first.fingerprint, first.sample, primary, replica, cache, latest.lastReason,
                calls, total, calls == 0 ? 0 : total / calls, p99(sums, calls));
    }

    private static double p99(long[] sums, long calls) {
        if (calls == 0) {
            return 0;
        }
        long wanted = (long) Math.ceil(calls * 0.99);
        long seen = 0;
        for (int i = 0; i <= BUCKETS; i++) {
            seen += sums[Entry.HISTOGRAM + i];
            if (seen >= wanted) {
                return (i < BUCKETS ? BOUNDS_MICROS[i] : BOUNDS_MICROS[BUCKETS - 1] * 1.5) / 1000.0;
            }
        }
        return BOUNDS_MICROS[BUCKETS - 1] / 1000.0;
    }

    /** Forgets everything ({@code RESET ROUTES}). */
    public void reset() {
        for (Shard each : shards) {
            each.entries.clear();
        }
    }
}
