package io.pgroute.proxy.stats;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.pgroute.proxy.metrics.QueryRecorder;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Where statements went, per database and statement fingerprint (constants and parameters normalised), for
 * {@code SHOW ROUTES}: counts by target, the last reason, calls, total, mean and p99 time. Bounded: at most
 * {@code capacity} fingerprints per database are kept, the frequent ones winning (Caffeine's frequency-aware
 * eviction).
 * Thread-safe; recording is a few atomic increments after the fingerprint.
 */
public final class RouteStats implements QueryRecorder {

    /** Histogram bucket upper bounds in microseconds: 10 µs × 1.5^i. */
    private static final int BUCKETS = 40;
    private static final double[] BOUNDS_MICROS = new double[BUCKETS];

    static {
        double bound = 10;
        for (int i = 0; i < BUCKETS; i++) {
            BOUNDS_MICROS[i] = bound;
            bound *= 1.5;
        }
    }

    /** One row of {@code SHOW ROUTES}. */
    public record Row(String database, String fingerprint, String sample, long primary, long replica, long cache,
                      String lastReason, long calls, double totalMillis, double meanMillis, double p99Millis) {
    }

    /** By database, then fingerprint: no key string is built per statement, and fingerprints hash once. */
    private final java.util.concurrent.ConcurrentMap<String, Cache<String, Entry>> entries =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final int capacity;

    private static final class Entry {
        private final String database;
        private final String fingerprint;
        private final String sample;
        private final LongAdder primary = new LongAdder();
        private final LongAdder replica = new LongAdder();
        private final LongAdder cache = new LongAdder();
        private final LongAdder totalNanos = new LongAdder();
        private final AtomicLongArray histogram = new AtomicLongArray(BUCKETS + 1);
        private volatile String lastReason = "";

        private Entry(String database, String fingerprint, String sample) {
            this.database = database;
            this.fingerprint = fingerprint;
            this.sample = sample;
        }
    }

    public RouteStats(int capacity) {
        this.capacity = capacity;
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
        Cache<String, Entry> ofDatabase = entries.get(database);
        if (ofDatabase == null) {
            // maintenance on the calling thread: no hand-off to (and wake-up of) a ForkJoin worker
            ofDatabase = entries.computeIfAbsent(database, each -> Caffeine.newBuilder().maximumSize(capacity)
                    .executor(Runnable::run).build());
        }
        Entry entry = ofDatabase.get(fingerprint, key -> new Entry(database, fingerprint,
                sql.length() > 200 ? sql.substring(0, 200) : sql));
        switch (route) {
            case PRIMARY -> entry.primary.increment();
            case REPLICA -> entry.replica.increment();
            case CACHE -> entry.cache.increment();
        }
        entry.totalNanos.add(nanos);
        entry.histogram.incrementAndGet(bucket(nanos));
        if (entry.lastReason != reason) {
            // reasons are constants: rewriting the same one would take the entry's cache line from the other
            // event loop on every statement
            entry.lastReason = reason;
        }
    }

    private static int bucket(long nanos) {
        double micros = nanos / 1000.0;
        for (int i = 0; i < BUCKETS; i++) {
            if (micros <= BOUNDS_MICROS[i]) {
                return i;
            }
        }
        return BUCKETS;
    }

    /** The {@code limit} fingerprints with the most calls, most first. */
    public List<Row> top(int limit) {
        List<Row> rows = new ArrayList<>();
        for (Cache<String, Entry> ofDatabase : entries.values()) {
            for (Entry each : ofDatabase.asMap().values()) {
                long calls = each.primary.sum() + each.replica.sum() + each.cache.sum();
                double total = each.totalNanos.sum() / 1e6;
                rows.add(new Row(each.database, each.fingerprint, each.sample, each.primary.sum(),
                        each.replica.sum(), each.cache.sum(), each.lastReason, calls, total,
                        calls == 0 ? 0 : total / calls, p99(each.histogram, calls)));
            }
        }
        rows.sort(Comparator.comparingLong(Row::calls).reversed());
        return rows.size() > limit ? List.copyOf(rows.subList(0, limit)) : rows;
    }

    private static double p99(AtomicLongArray histogram, long calls) {
        if (calls == 0) {
            return 0;
        }
        long wanted = (long) Math.ceil(calls * 0.99);
        long seen = 0;
        for (int i = 0; i <= BUCKETS; i++) {
            seen += histogram.get(i);
            if (seen >= wanted) {
                return (i < BUCKETS ? BOUNDS_MICROS[i] : BOUNDS_MICROS[BUCKETS - 1] * 1.5) / 1000.0;
            }
        }
        return BOUNDS_MICROS[BUCKETS - 1] / 1000.0;
    }

    /** Forgets everything ({@code RESET ROUTES}). */
    public void reset() {
        entries.clear();
    }
}
