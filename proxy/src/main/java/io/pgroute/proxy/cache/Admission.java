package io.pgroute.proxy.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Which statement shapes are worth a Redis round trip. A shape whose lookups almost never hit (a point query over
 * many keys, each read once) costs a lookup and a store on every execution and gains nothing, so once it has shown
 * that, it is looked up only now and then (to notice when that changes) and otherwise goes straight to a server.
 * Skipping the cache is always correct; this only trades hits for round trips.
 *
 * <pre>
 *   warm --(at least MIN_LOOKUPS lookups, hit ratio below COLD_RATIO)--> cold: 1 in SAMPLE executions looked up
 *   cold --(hit ratio of the sampled lookups back above WARM_RATIO)--> warm
 * </pre>
 *
 * Counts halve every {@code DECAY_AT} lookups, so the recent past decides. Thread-safe; keyed by a shape's
 * fingerprint, whose hash its string keeps: without weak keys or expiry, a lookup is a map read (Caffeine records
 * reads only once the map is half full).
 */
final class Admission {

    static final int MIN_LOOKUPS = 200;
    static final double COLD_RATIO = 0.02;
    static final double WARM_RATIO = 0.05;
    static final int SAMPLE = 64;
    private static final long DECAY_AT = 10_000;

    private final Cache<String, Shape> shapes = Caffeine.newBuilder().maximumSize(100_000)
            .executor(Runnable::run).build();  // maintenance inline: no ForkJoin wake-up

    private static final class Shape {
        private final AtomicLong lookups = new AtomicLong();
        private final AtomicLong hits = new AtomicLong();
        private volatile boolean cold;
    }

    /** Whether this execution of a statement of {@code shape} (its fingerprint) should be looked up. */
    boolean admit(String shape) {
        Shape state = shapes.getIfPresent(shape);
        return state == null || !state.cold || ThreadLocalRandom.current().nextInt(SAMPLE) == 0;
    }

    /** A lookup of {@code shape} was answered: {@code hit} or not. */
    void record(String shape, boolean hit) {
        Shape state = shapes.get(shape, key -> new Shape());
        long lookups = state.lookups.incrementAndGet();
        long hits = hit ? state.hits.incrementAndGet() : state.hits.get();
        if (lookups >= DECAY_AT) {
            state.lookups.addAndGet(-lookups / 2);
            state.hits.addAndGet(-hits / 2);
        }
        if (lookups < MIN_LOOKUPS) {
            return;
        }
        double ratio = (double) hits / lookups;
        if (!state.cold && ratio < COLD_RATIO) {
            state.cold = true;
        } else if (state.cold && ratio > WARM_RATIO) {
            state.cold = false;
        }
    }

    /** Whether {@code shape} is currently looked up only now and then. */
    boolean isCold(String shape) {
        Shape state = shapes.getIfPresent(shape);
        return state != null && state.cold;
    }
}
