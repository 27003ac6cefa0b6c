package io.pgroute.proxy.cache;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps hits from being served after an invalidation may have been lost. A database is <em>blocked</em> from the
 * moment a bump for it failed, its epoch key was found missing, or the Redis server changed (another run id: a
 * restart or a failover), until an epoch bump <em>sent after</em> that moment succeeded. Blocked databases are
 * retried in the background with exponential backoff.
 *
 * <pre>
 *             bump failed / epoch gone / run id changed
 *   CLEAR ───────────────────────────────────────────────▶ BLOCKED(generation g) ──┐ retry failed:
 *     ▲                                                        │   ▲               │ back off, retry
 *     │   epoch bump sent while at g succeeded                 │   └───────────────┘
 *     └────────────────────────────────────────────────────────┘   (a new loss moves it to g' > g)
 * </pre>
 */
final class EpochGuard {

    private static final Logger LOGGER = LoggerFactory.getLogger(RedisCache.class);
    static final Duration FIRST_BACKOFF = Duration.ofMillis(50);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(2);

    private final Map<String, Long> blocked = new ConcurrentHashMap<>();
    private final Set<String> known = ConcurrentHashMap.newKeySet();
    private final AtomicLong generation = new AtomicLong();
    private final AtomicReference<String> runId = new AtomicReference<>();
    private final AtomicBoolean retryScheduled = new AtomicBoolean();
    private final Function<String, CompletableFuture<Long>> epochBumper;
    private final BiConsumer<Runnable, Duration> scheduler;
    private volatile Duration backoff = FIRST_BACKOFF;

    /**
     * @param epochBumper bumps one database's epoch in Redis
     * @param scheduler   runs a task after a delay
     */
    EpochGuard(Function<String, CompletableFuture<Long>> epochBumper, BiConsumer<Runnable, Duration> scheduler) {
        this.epochBumper = epochBumper;
        this.scheduler = scheduler;
    }

    /** Remembers a database this instance works with, so a server change blocks it too. */
    void seen(String database) {
        known.add(database);
    }

    /** True while hits of {@code database} must not be served. */
    boolean blocks(String database) {
        return blocked.containsKey(database);
    }

    /** True while any database is blocked. */
    boolean anyBlocked() {
        return !blocked.isEmpty();
    }

    /** The generation an epoch bump starting now must be tagged with, or -1 if the database is not blocked. */
    long generation(String database) {
        return blocked.getOrDefault(database, -1L);
    }

    /** An invalidation of {@code database} may be lost: block it and schedule an epoch bump. */
    void lost(String database, String reason) {
        known.add(database);
        Long previous = blocked.put(database, generation.incrementAndGet());
        if (previous == null) {
            LOGGER.info("no cache hits for database {} until its epoch is bumped: {}", database, reason);
        }
        scheduleRetry();
    }

    /** An epoch bump tagged with {@code generation} succeeded: unblock unless a loss came after it was sent. */
    void epochBumped(String database, long generation) {
        if (generation >= 0 && blocked.remove(database, generation)) {
            LOGGER.info("cache hits for database {} allowed again", database);
        }
    }

    /** The server answered with {@code id} as its run id; a change blocks every known database. */
    void onRunId(String id) {
        String previous = runId.getAndSet(id);
        if (previous != null && !previous.equals(id)) {
            known.forEach(each -> lost(each, "redis run id changed from " + previous + " to " + id));
        }
    }

    private void scheduleRetry() {
        if (retryScheduled.compareAndSet(false, true)) {
            scheduler.accept(this::retry, backoff);
        }
    }

    private void retry() {
        retryScheduled.set(false);
        blocked.forEach((database, tag) -> epochBumper.apply(database).whenComplete((epoch, failure) -> {
            if (failure == null) {
                backoff = FIRST_BACKOFF;
                epochBumped(database, tag);
            } else {
                Duration doubled = backoff.multipliedBy(2);
                backoff = doubled.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : doubled;
            }
            if (blocks(database)) {
                scheduleRetry();
            }
        }));
    }
}
