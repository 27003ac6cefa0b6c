package io.pgroute.proxy.server;

import io.pgroute.proxy.cache.ResultCache;
import io.pgroute.proxy.routing.ClusterState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Drops every cached result of one database when another node becomes its primary: with asynchronous replication the
 * new primary may lack the last writes the old one acknowledged, and a result read before the failover may show rows
 * that no longer exist. The database's epoch is bumped in Redis, as {@code CACHE INVALIDATE ALL} does, so every
 * pgroute sharing the cache drops them. A listener of {@code NodeMonitor}, called on a monitor thread.
 */
final class FailoverCacheFlush implements Consumer<ClusterState> {

    private static final Logger LOGGER = LoggerFactory.getLogger(FailoverCacheFlush.class);

    private final String database;
    private final ResultCache cache;
    private final AtomicReference<String> primary = new AtomicReference<>();

    FailoverCacheFlush(String database, ResultCache cache, ClusterState initial) {
        this.database = database;
        this.cache = cache;
        this.primary.set(initial.primary().name());
    }

    @Override
    public void accept(ClusterState state) {
        String now = state.primary().name();
        String before = primary.getAndSet(now);
        if (before.equals(now)) {
            return;
        }
        cache.redis().bumpEpoch(database).whenComplete((epoch, failure) -> {
            if (failure == null) {
                LOGGER.warn("database={} the primary changed ({} -> {}): every cached result dropped (epoch {})",
                        database, before, now, epoch);
            } else {
                LOGGER.error("database={} the primary changed ({} -> {}) but the cached results could not be"
                        + " dropped: {}; run CACHE INVALIDATE ALL once Redis answers", database, before, now,
                        failure.toString());
            }
        });
    }
}
